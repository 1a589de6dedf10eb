package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"example.com/gopher-template/cli/internal/config"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"version"}, config.AppName + " test (" + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"},
		{[]string{"--version"}, config.AppName + " test\n"},
	}
	for _, tt := range tests {
		h := newHarness(t)
		if r := h.mustRun(0, tt.args...); r.stdout != tt.want {
			t.Errorf("%v = %q, want %q", tt.args, r.stdout, tt.want)
		}
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, args := range [][]string{{}, {"--help"}, {"links"}, {"links", "list", "--help"}} {
		r := h.mustRun(0, args...)
		if !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%s %v: no usage in %q", config.AppName, args, r.stdout)
		}
	}
}

// TestHelpText checks that helpText filled in every placeholder: each example starts with
// the app's name, the root help names its directory and environment variables, and no
// placeholder is left once the real names are taken out.
func TestHelpText(t *testing.T) {
	t.Parallel()
	root := newApp(Deps{}).rootCommand()
	for _, want := range []string{
		config.AppName + " manages short links",
		config.EnvPrefix + "* environment variables",
		"under " + config.AppName + "/",
		"$" + config.EnvPrefix + "CONFIG.",
		"$" + config.EnvPrefix + "PROFILE,",
	} {
		if !strings.Contains(root.Long, want) {
			t.Errorf("root help lacks %q:\n%s", want, root.Long)
		}
	}
	names := strings.NewReplacer(config.EnvPrefix, "", config.AppName, "")
	examples := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for line := range strings.Lines(c.Example) {
			examples++
			if !strings.HasPrefix(line, "  "+config.AppName+" ") {
				t.Errorf("%s: example %q does not start with %q", c.CommandPath(), line, config.AppName)
			}
		}
		if text := names.Replace(c.Long + c.Example); strings.Contains(text, "APP") {
			t.Errorf("%s: placeholder left in help:\n%s", c.CommandPath(), text)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if examples < 10 {
		t.Errorf("found %d examples, want at least 10", examples)
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := h.mustRun(0, "completion", shell)
		if !strings.Contains(r.stdout, config.AppName) {
			t.Errorf("%s completion does not mention %s", shell, config.AppName)
		}
	}
	h.mustRun(2, "completion", "tcsh")

	// Dynamic completion of flag values.
	r := h.mustRun(0, "__complete", "links", "list", "--output", "")
	for _, want := range []string{"table", "json", "yaml"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--output completion lacks %q: %q", want, r.stdout)
		}
	}
}

func TestDocs(t *testing.T) {
	t.Parallel()
	const app = config.AppName // file names and the man header are built from it
	tests := []struct {
		format string
		files  []string
		want   string
	}{
		{"markdown", []string{app + ".md", app + "_links_get.md", app + "_config_set.md", app + "_completion_bash.md"}, "## " + app + " links get"},
		{"man", []string{app + ".1", app + "-links-get.1", app + "-config-set.1"}, `.TH "` + strings.ToUpper(app) + `" "1" "Jan 2025" "` + app + ` test" "` + app + ` manual"`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			dir := filepath.Join(t.TempDir(), "out")
			h.mustRun(0, "docs", "--format", tt.format, "--dir", dir)
			for _, f := range tt.files {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Error(err)
				}
			}
			data, err := os.ReadFile(filepath.Join(dir, tt.files[1]))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), tt.want) {
				t.Errorf("%s lacks %q:\n%s", tt.files[1], tt.want, data)
			}
		})
	}
}
