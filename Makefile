# Clinical Engineering Jobs. `make help` lists the targets.
SHELL := /bin/bash
MODULES := $(shell sed -n 's|^[[:space:]]*\./\(.*\)$$|\1|p' go.work)
BIN := build/bin
# testcontainers-go cannot pull its reaper image here, and in a sandbox with
# a /.dockerenv it must be told the Docker host is this one.
export TESTCONTAINERS_RYUK_DISABLED := true
export COMPOSE_PROJECT_NAME ?= clinjobs
# Images are tagged clinjobs/<name>:$(CLINJOBS_IMAGE_TAG); tests and compose use the same tag.
export CLINJOBS_IMAGE_TAG ?= local
export TESTCONTAINERS_HOST_OVERRIDE ?= localhost
GOTEST ?= go test -race -count=1 -v=false -timeout 20m
GOTEST_NORACE ?= go test -count=1 -v=false -timeout 20m
FUZZTIME ?= 10s
FAULTS_FUZZTIME ?= 30s

.PHONY: help run test deps fuzz faults test-faults bench bench-match images up secrets down proto proto-check api contract-check lint tidy build chart-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: export LOG_FORMAT ?= text
run: ## run the whole system in one process (embedded NATS, data in ./data); Ctrl-C stops it
	@go build -o $(BIN)/clinjobs ./services/clinjobs/cmd/clinjobs
	@exec $(BIN)/clinjobs

build: ## build every service binary into build/bin
	@for m in ingest matching notification dashboard web clinjobs; do go build -o $(BIN)/$$m ./services/$$m/cmd/$$m || exit 1; done

# Packages whose tests are long single-goroutine property tests (random
# populations checked against a reference): the race detector has nothing to
# find in them and makes them several times slower, so make test runs them
# without it. Their concurrent users (matching) are tested with it.
NORACE := pkg/match/index

test: images deps ## run every module's tests (needs Docker: Redis and system tests run in containers), then the fuzz targets briefly
	@for m in $(MODULES); do echo "== $$m"; t=$$SECONDS; \
	  skip=$$(for p in $(NORACE); do case $$p in $$m/*) echo "github.com/clinjobs/clinjobs/$$p";; esac; done); \
	  pkgs=$$(cd $$m && go list ./... | grep -vxF "$${skip:-^}"); \
	  (cd $$m && $(GOTEST) $$pkgs) || exit 1; \
	  [ -z "$$skip" ] || (cd $$m && $(GOTEST_NORACE) $$skip) || exit 1; \
	  echo "   $$m: $$((SECONDS - t))s"; \
	done
	@$(MAKE) --no-print-directory fuzz

deps: ## install the Debian packages the tests use, if missing: chromium (the dashboard's browser test), curl and python3 (the README's examples), postgresql (matching's SQL comparison)
	@need=""; for p in chromium curl python3; do command -v $$p >/dev/null || need="$$need $$p"; done; \
	  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need="$$need postgresql"; \
	  [ -z "$$need" ] || { echo "== apt-get install$$need"; \
	  SUDO=$$([ $$(id -u) -eq 0 ] || echo sudo); $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$need >/dev/null; }

fuzz: ## run every fuzz target for FUZZTIME (default 10s)
	@for m in $(MODULES); do \
	  for pkg in $$(cd $$m && go list ./...); do \
	    dir=$$(cd $$m && go list -f '{{.Dir}}' $$pkg); \
	    for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	      echo "== fuzz $$f ($$pkg, $$SECONDS s into make fuzz)"; (cd $$dir && go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 3s .) || exit 1; \
	    done; \
	  done; \
	done

test-faults: faults ## the fault suite, then every fuzz target for FAULTS_FUZZTIME (30s)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FAULTS_FUZZTIME)

faults: images ## the fault suite alone, on the clustered images (writes bench/results/faults.json); CI runs it after make test
	@mkdir -p bench/results
	@cd services/clinjobs && go test -tags faults -count=1 -timeout 20m -v -run TestFaults ./faults/ 2>&1 \
	  | grep --line-buffered -vE '🐳|✅|🔔|⏳|lifecycle.go|docker.go|Testcontainers|Connected to docker|Server Version|API Version|Operating System|Total Memory|Resolved Docker|Test SessionID|Test ProcessID'; exit $${PIPESTATUS[0]}

bench: ## the end-to-end load benchmark against the all-in-one and Redis, beside its floors (BENCH_FLAGS=-quick: under a minute)
	@deploy/images/build.sh redis
	@mkdir -p bench/results
	@go run ./bench/cmd/benche2e -out bench/results/e2e.json $(BENCH_FLAGS)

bench-match: ## matching at national scale: index, reference and PostgreSQL side by side (BENCH_MATCH_FLAGS="-candidates 100000" for a quick run)
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || $$([ $$(id -u) -eq 0 ] || echo sudo) apt-get install -y -qq postgresql >/dev/null
	@mkdir -p bench/results
	@go run ./bench/cmd/benchmatch -out bench/results/match.json $(BENCH_MATCH_FLAGS)

images: ## build every image from scratch, offline: nats, redis and one per service
	@deploy/images/build.sh

up: images secrets ## start the compose stack (3-node NATS cluster, Redis, every service) and wait until healthy
	@docker-compose up -d --remove-orphans
	@deploy/wait-healthy.sh 240

secrets: ## make the compose stack's secrets missing from deploy/secrets (git-ignored); remove a file and run again to rotate it
	@go run ./services/clinjobs/cmd/clinjobs secrets init deploy/secrets

down: ## stop the compose stack and remove its containers and volumes
	@docker-compose down -v --remove-orphans

proto: ## regenerate the Go code of the event contracts
	@GOWORK=off go -C tools build -o ../$(BIN)/ google.golang.org/protobuf/cmd/protoc-gen-go
	@cd proto && PATH=../$(BIN):$$PATH protoc --go_out=. --go_opt=paths=source_relative -I . clinjobs/events/v1/*.proto

proto-check: proto ## fail if the generated code is not what the .proto files give
	@test -z "$$(git status --porcelain -- proto)" || { git status --short -- proto; echo "proto/: generated code is stale; run make proto and commit" >&2; exit 1; }

api: ## write api/ (each service's OpenAPI document, the event contracts' descriptors) from the code
	@cd services/clinjobs && go test -count=1 -run '^TestCommittedContractsAreCurrent$$' ./apidocs -args -update

# The contracts at BASE: main's when on a branch; on main, the first
# parent's (a merge's is main before it). A break is meant when a commit
# since BASE says why in a line "Contract-Break: ...".
contract-check: ## fail on a change to api/ that breaks a client of BASE's (default: main, or HEAD^ on main), unless a commit since says "Contract-Break: why"
	@base="$${BASE:-}"; \
	  if [ -z "$$base" ]; then \
	    if [ "$$(git rev-parse --abbrev-ref HEAD)" = main ]; then base=HEAD^1; else base=$$(git merge-base HEAD main 2>/dev/null || echo HEAD^1); fi; \
	  fi; \
	  tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  if ! git rev-parse -q --verify "$$base^{commit}" >/dev/null; then echo "contract-check: $$base is not in this clone (a shallow one?); nothing compared"; exit 0; fi; \
	  if ! git cat-file -e "$$base:api" 2>/dev/null; then echo "contract-check: no api/ at $$base; nothing to compare"; exit 0; fi; \
	  git archive "$$base" api | tar -x -C "$$tmp" && \
	  go build -o $(BIN)/contractcheck ./pkg/cmd/contractcheck && \
	  if ! $(BIN)/contractcheck "$$tmp/api" api; then \
	    if git log --format=%B "$$base..HEAD" | grep -q '^Contract-Break:'; then echo "contract-check: the breaks above are meant (Contract-Break: in a commit since $$base)"; \
	    else echo "contract-check: api/ breaks clients of $$base's; if that is meant, say why in a commit: Contract-Break: ..." >&2; exit 1; fi; \
	  fi

lint: ## go vet, gofmt and staticcheck over every module
	@test -z "$$(gofmt -l $(MODULES) deploy/helm/chartcheck | grep -v '\.pb\.go$$' | tee /dev/stderr)" || { echo "gofmt would change the files above" >&2; exit 1; }
	@GOWORK=off go -C tools build -o ../$(BIN)/ honnef.co/go/tools/cmd/staticcheck
	@for m in $(MODULES); do (cd $$m && go vet ./... && $(CURDIR)/$(BIN)/staticcheck ./...) || exit 1; done
	@# The chart's checker is a module outside go.work (make chart-check runs it).
	@cd deploy/helm/chartcheck && GOWORK=off go vet ./... && GOWORK=off $(CURDIR)/$(BIN)/staticcheck ./...

tidy: ## go mod tidy every module, each on its own
	@for m in $(MODULES) tools tools/helm deploy/helm/chartcheck; do (cd $$m && GOWORK=off go mod tidy) || exit 1; done

# The Helm chart, checked offline: helm (the version tools/helm/go.mod pins,
# built from the Go module proxy) lints and renders it with each values file,
# then deploy/helm/chartcheck decodes every rendered object strictly against
# the Kubernetes API types and holds it to the deployment policy.
CHART := deploy/helm/clinjobs
CHART_SIZES := small regional national
CHART_OUT := build/chart
$(BIN)/helm: tools/helm/go.mod tools/helm/go.sum
	@echo "== build helm (tools/helm/go.mod)"
	@GOWORK=off go -C tools/helm build -o ../../$(BIN)/helm helm.sh/helm/v4/cmd/helm

chart-check: $(BIN)/helm ## lint and render the Helm chart with every values file, then check each object strictly against the Kubernetes API types and the deployment policy
	@rm -rf $(CHART_OUT) && mkdir -p $(CHART_OUT)
	@for size in $(CHART_SIZES); do \
	  echo "== helm lint and template: $$size"; \
	  $(BIN)/helm lint --strict --quiet $(CHART) -f deploy/helm/values/$$size.yaml || exit 1; \
	  $(BIN)/helm template clinjobs $(CHART) --namespace clinjobs -f deploy/helm/values/$$size.yaml > $(CHART_OUT)/$$size.yaml || exit 1; \
	done
	@echo "== chartcheck: strict decoding and policy"
	@test -z "$$(gofmt -l deploy/helm/chartcheck | tee /dev/stderr)" || { echo "gofmt would change the files above" >&2; exit 1; }
	@cd deploy/helm/chartcheck && GOWORK=off go vet ./... && CHARTCHECK_DIR=$(CURDIR)/$(CHART_OUT) GOWORK=off go test -count=1 ./...
