module example.com/gopher-template/plumbing

go 1.26.0
