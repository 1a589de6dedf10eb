package cli

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"example.com/gopher-template/cli/internal/config"
	"example.com/gopher-template/cli/internal/exitcode"
)

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: a.runE(func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s (%s, %s/%s)\n",
				config.AppName, a.deps.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		}),
	}
}

func (a *app) docsCommand() *cobra.Command {
	var format, dir string
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "Write man pages or Markdown for every command",
		Long: `Write documentation for every command, generated from the command tree:
man pages (section 1) or Markdown, one file per command. The man pages' date is
$SOURCE_DATE_EPOCH when set, for reproducible builds.`,
		Example: helpText(`  APP docs --format man --dir ./manpages
  APP docs --format markdown --dir ./docs/cli`),
		Args: cobra.NoArgs,
		RunE: a.runE(func(cmd *cobra.Command, _ []string) error {
			if format != "man" && format != "markdown" {
				return exitcode.NewUsageError(fmt.Errorf("--format %q: want man or markdown", format))
			}
			root := cmd.Root()
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return fmt.Errorf("create %s: %w", dir, err)
			}
			switch format {
			case "markdown":
				if err := doc.GenMarkdownTree(root, dir); err != nil {
					return fmt.Errorf("write markdown: %w", err)
				}
			case "man":
				date, err := a.docsDate()
				if err != nil {
					return err
				}
				header := &doc.GenManHeader{
					Title:   strings.ToUpper(config.AppName),
					Section: "1",
					Source:  config.AppName + " " + a.deps.Version,
					Manual:  config.AppName + " manual",
					Date:    &date,
				}
				if err := doc.GenManTree(root, header, dir); err != nil {
					return fmt.Errorf("write man pages: %w", err)
				}
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&format, "format", "markdown", "documentation format: man or markdown")
	cmd.Flags().StringVar(&dir, "dir", "", "directory to write into (created if missing)")
	_ = cmd.MarkFlagRequired("dir")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"man", "markdown"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

func (a *app) docsDate() (time.Time, error) {
	if v := a.deps.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, exitcode.NewUsageError(fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", v, err))
		}
		return time.Unix(secs, 0).UTC(), nil
	}
	return a.deps.Now(), nil
}
