module gpm.invalid/benches/go

go 1.21
