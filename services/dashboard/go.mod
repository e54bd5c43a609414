module github.com/clinjobs/clinjobs/services/dashboard

go 1.26.0

require (
	github.com/clinjobs/clinjobs/pkg v0.0.0
	github.com/clinjobs/clinjobs/proto v0.0.0
)

replace (
	github.com/clinjobs/clinjobs/pkg => ../../pkg
	github.com/clinjobs/clinjobs/proto => ../../proto
)
