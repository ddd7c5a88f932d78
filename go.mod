module github.com/lmskit/lmskit

go 1.24
