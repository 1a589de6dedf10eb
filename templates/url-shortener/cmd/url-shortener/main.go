// Command {{name}} serves the URL shortener and its maintenance commands.
package main

import (
	"context"
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "{{name}}: %v\n", err)
		os.Exit(1)
	}
}
