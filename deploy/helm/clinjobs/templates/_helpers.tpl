{{/*
Names, labels and the parts every workload shares: the security contexts,
the environment that reaches NATS and Redis, the Secrets mounted as files,
the probes and the spread across zones.
*/}}

{{- define "clinjobs.fullname" -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* clinjobs.name: the object name of a component, such as <release>-matching. Call with (list $ "matching"). */}}
{{- define "clinjobs.name" -}}
{{- $ := index . 0 -}}
{{- printf "%s-%s" (include "clinjobs.fullname" $) (index . 1) -}}
{{- end -}}

{{- define "clinjobs.selectorLabels" -}}
{{- $ := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ $.Release.Name }}
{{- end -}}

{{- define "clinjobs.labels" -}}
{{- $ := index . 0 -}}
{{ include "clinjobs.selectorLabels" . }}
app.kubernetes.io/part-of: clinjobs
app.kubernetes.io/version: {{ include "clinjobs.tag" $ | quote }}
app.kubernetes.io/managed-by: {{ $.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" $.Chart.Name $.Chart.Version }}
{{- end -}}

{{/* clinjobs.tag: the pinned image tag; "latest" is refused. */}}
{{- define "clinjobs.tag" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- if or (eq $tag "latest") (eq $tag "") -}}
{{- fail "image.tag must be a pinned tag, not empty or latest" -}}
{{- end -}}
{{- $tag -}}
{{- end -}}

{{- define "clinjobs.image" -}}
{{- $ := index . 0 -}}
{{- printf "%s/%s:%s" (required "image.repository is required" $.Values.image.repository) (index . 1) (include "clinjobs.tag" $) -}}
{{- end -}}

{{/* clinjobs.usesRedis: "true" for the services that talk to Redis. */}}
{{- define "clinjobs.usesRedis" -}}
{{- if has . (list "ingest" "matching" "dashboard") }}true{{ end -}}
{{- end -}}

{{/* clinjobs.usesOperatorKey: "true" for the services that check the operator key. */}}
{{- define "clinjobs.usesOperatorKey" -}}
{{- if has . (list "ingest" "dashboard") }}true{{ end -}}
{{- end -}}

{{- define "clinjobs.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "clinjobs.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
clinjobs.secretFiles: the projected volume's sources, one file a secret the
service reads. Call with (list $ "ingest").
*/}}
{{- define "clinjobs.secretSources" -}}
{{- $ := index . 0 -}}
{{- $svc := index . 1 -}}
{{- $v := index $.Values $svc -}}
{{- with $v.natsUser }}
- secret:
    name: {{ required (printf "%s.natsUser.secretName is required" $svc) .secretName }}
    items: [{key: {{ .key }}, path: nats-password}]
{{- end }}
{{- with $.Values.secrets.natsCA }}{{ if .secretName }}
- secret:
    name: {{ .secretName }}
    items: [{key: {{ .key }}, path: nats-ca.crt}]
{{- end }}{{ end }}
{{- if include "clinjobs.usesRedis" $svc }}
{{- with $v.redisUser }}{{ if .secretName }}
- secret:
    name: {{ .secretName }}
    items: [{key: {{ .key }}, path: redis-password}]
{{- end }}{{ end }}
{{- if $.Values.redis.tls }}{{ with $.Values.secrets.redisCA }}{{ if .secretName }}
- secret:
    name: {{ .secretName }}
    items: [{key: {{ .key }}, path: redis-ca.crt}]
{{- end }}{{ end }}{{ end }}
{{- end }}
{{- if include "clinjobs.usesOperatorKey" $svc }}
- secret:
    name: {{ required "secrets.operatorKey.secretName is required" $.Values.secrets.operatorKey.secretName }}
    items: [{key: {{ $.Values.secrets.operatorKey.key }}, path: operator-key}]
{{- end }}
{{- if eq $svc "notification" }}{{ with $.Values.secrets.smtpPassword }}{{ if .secretName }}
- secret:
    name: {{ .secretName }}
    items: [{key: {{ .key }}, path: smtp-password}]
{{- end }}{{ end }}{{ end }}
{{- end -}}

{{/* clinjobs.env: the environment every service shares. Call with (list $ "ingest"). */}}
{{- define "clinjobs.env" -}}
{{- $ := index . 0 -}}
{{- $svc := index . 1 -}}
{{- $v := index $.Values $svc -}}
- name: HTTP_ADDR
  value: {{ printf ":%v" $v.port | quote }}
- name: LOG_FORMAT
  value: json
- name: LOG_LEVEL
  value: {{ $.Values.logLevel | quote }}
- name: GOMEMLIMIT
  value: {{ $v.goMemLimit | quote }}
- name: NATS_URL
  value: {{ required "nats.url is required" $.Values.nats.url | quote }}
- name: NATS_REPLICAS
  value: {{ $.Values.nats.replicas | quote }}
- name: NATS_USER
  value: {{ $v.natsUser.user | quote }}
- name: NATS_PASSWORD_FILE
  value: /etc/clinjobs/secrets/nats-password
{{- if $.Values.secrets.natsCA.secretName }}
- name: NATS_CA_FILE
  value: /etc/clinjobs/secrets/nats-ca.crt
{{- end }}
{{- if include "clinjobs.usesRedis" $svc }}
- name: REDIS_ADDR
  value: {{ required "redis.addr is required" $.Values.redis.addr | quote }}
{{- with $.Values.redis.masterName }}
- name: REDIS_MASTER_NAME
  value: {{ . | quote }}
{{- end }}
- name: REDIS_DB
  value: {{ $.Values.redis.db | quote }}
- name: REDIS_TLS
  value: {{ $.Values.redis.tls | quote }}
{{- if $.Values.redis.tls }}{{ if $.Values.secrets.redisCA.secretName }}
- name: REDIS_CA_FILE
  value: /etc/clinjobs/secrets/redis-ca.crt
{{- end }}{{ end }}
{{- with $v.redisUser }}{{ if .secretName }}
- name: REDIS_USERNAME
  value: {{ .user | quote }}
- name: REDIS_PASSWORD_FILE
  value: /etc/clinjobs/secrets/redis-password
{{- end }}{{ end }}
{{- end }}
{{- if include "clinjobs.usesOperatorKey" $svc }}
- name: OPERATOR_KEY_FILE
  value: /etc/clinjobs/secrets/operator-key
{{- end }}
{{- with $.Values.trustedProxies }}
- name: TRUSTED_PROXIES
  value: {{ join "," . | quote }}
{{- end }}
{{- with $.Values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: OTEL_TRACES_SAMPLE_PERCENT
  value: {{ $.Values.telemetry.samplePercent | quote }}
{{- end }}
{{- range $k, $val := $v.env }}
- name: {{ $k }}
  value: {{ $val | quote }}
{{- end }}
{{- end -}}

{{/* clinjobs.container: the service's container. Call with (list $ "ingest" extraEnvYAML). */}}
{{- define "clinjobs.container" -}}
{{- $ := index . 0 -}}
{{- $svc := index . 1 -}}
{{- $v := index $.Values $svc -}}
name: {{ $svc }}
image: {{ include "clinjobs.image" (list $ $svc) }}
imagePullPolicy: {{ $.Values.image.pullPolicy }}
ports:
  - name: http
    containerPort: {{ $v.port }}
    protocol: TCP
env:
{{- include "clinjobs.env" (list $ $svc) | nindent 2 }}
{{- with index . 2 }}
{{- . | nindent 2 }}
{{- end }}
# The HTTP listener opens before the service starts its work (a rebuild,
# for matching), so /healthz answers at once; /readyz only once NATS,
# Redis and the service's own start are good.
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 6
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
resources:
  {{- toYaml $v.resources | nindent 2 }}
securityContext:
  {{- include "clinjobs.containerSecurityContext" $ | nindent 2 }}
volumeMounts:
  - name: secrets
    mountPath: /etc/clinjobs/secrets
    readOnly: true
  - name: tmp
    mountPath: /tmp
{{- end -}}

{{/* clinjobs.podSpec: the pod spec every workload shares. Call with (list $ "ingest" extraEnvYAML). */}}
{{- define "clinjobs.podSpec" -}}
{{- $ := index . 0 -}}
{{- $svc := index . 1 -}}
automountServiceAccountToken: false
enableServiceLinks: false
# The services shut down within 25 s (in-flight work drained).
terminationGracePeriodSeconds: 35
securityContext:
  {{- include "clinjobs.podSecurityContext" $ | nindent 2 }}
{{- with $.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: {{ $.Values.topologySpread.zone }}
    labelSelector:
      matchLabels:
        {{- include "clinjobs.selectorLabels" (list $ $svc) | nindent 8 }}
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: {{ $.Values.topologySpread.node }}
    labelSelector:
      matchLabels:
        {{- include "clinjobs.selectorLabels" (list $ $svc) | nindent 8 }}
containers:
  - {{ include "clinjobs.container" . | nindent 4 | trim }}
volumes:
  - name: secrets
    projected:
      defaultMode: 0440
      sources:
        {{- include "clinjobs.secretSources" (list $ $svc) | trim | nindent 8 }}
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- end -}}

{{/* clinjobs.pdb: a PodDisruptionBudget for a component. */}}
{{- define "clinjobs.pdb" -}}
{{- $ := index . 0 -}}
{{- $svc := index . 1 -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "clinjobs.name" (list $ $svc) }}
  labels:
    {{- include "clinjobs.labels" (list $ $svc) | nindent 4 }}
spec:
  # One pod at a time: a drain never takes two replicas (for matching, two
  # partition owners) away together.
  maxUnavailable: 1
  selector:
    matchLabels:
      {{- include "clinjobs.selectorLabels" (list $ $svc) | nindent 6 }}
{{- end -}}

{{/* clinjobs.notificationEnv: what notification alone reads. */}}
{{- define "clinjobs.notificationEnv" -}}
{{- $n := .Values.notification -}}
- name: PUBLIC_URL
  value: {{ required "notification.publicURL is required" $n.publicURL | quote }}
- name: ALLOW_PRIVATE_WEBHOOKS
  value: "false"
{{- with $n.smtp }}{{ if .addr }}
- name: SMTP_ADDR
  value: {{ .addr | quote }}
- name: SMTP_FROM
  value: {{ .from | quote }}
- name: SMTP_TLS
  value: {{ .tls | quote }}
{{- with .username }}
- name: SMTP_USERNAME
  value: {{ . | quote }}
{{- end }}
{{- end }}{{ end }}
{{- if .Values.secrets.smtpPassword.secretName }}
- name: SMTP_PASSWORD_FILE
  value: /etc/clinjobs/secrets/smtp-password
{{- end }}
{{- end -}}
