package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if r := h.mustRun(0, "version"); !strings.HasPrefix(r.stdout, "{{name}} test (go") {
		t.Errorf("version = %q", r.stdout)
	}
	if r := h.mustRun(0, "--version"); r.stdout != "{{name}} test\n" {
		t.Errorf("--version = %q", r.stdout)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, args := range [][]string{{}, {"--help"}, {"links"}, {"links", "list", "--help"}} {
		r := h.mustRun(0, args...)
		if !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("{{name}} %v: no usage in %q", args, r.stdout)
		}
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := h.mustRun(0, "completion", shell)
		if !strings.Contains(r.stdout, "{{name}}") {
			t.Errorf("%s completion does not mention {{name}}", shell)
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
	tests := []struct {
		format string
		files  []string
		want   string
	}{
		{"markdown", []string{"{{name}}.md", "{{name}}_links_get.md", "{{name}}_config_set.md", "{{name}}_completion_bash.md"}, "## {{name}} links get"},
		{"man", []string{"{{name}}.1", "{{name}}-links-get.1", "{{name}}-config-set.1"}, `.TH "{{upperSnake name}}" "1" "Jan 2025" "{{name}} test"`},
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
