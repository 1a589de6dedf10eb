package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"example.com/gopher-template/cli/internal/api"
	"example.com/gopher-template/cli/internal/config"
	"example.com/gopher-template/cli/internal/exitcode"
	"example.com/gopher-template/cli/internal/output"
)

func (a *app) linksCommand() *cobra.Command {
	return a.groupCommand("links", "Create, show, list and delete short links",
		a.linksCreateCommand(),
		a.linksGetCommand(),
		a.linksListCommand(),
		a.linksDeleteCommand(),
	)
}

func (a *app) linksCreateCommand() *cobra.Command {
	var (
		alias     string
		expiresIn time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create <url>",
		Short: "Create a short link",
		Example: helpText(`  APP links create https://example.com/a/long/path
  APP links create https://example.com --alias docs --expires-in 24h`),
		Args: cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("expires-in") && expiresIn <= 0 {
				return exitcode.NewUsageError(fmt.Errorf("--expires-in %s: must be positive", expiresIn))
			}
			c, p, err := a.client(cmd.Context(), cmd)
			if err != nil {
				return err
			}
			req := api.CreateLinkRequest{URL: args[0], Alias: alias}
			if expiresIn > 0 {
				at := a.deps.Now().Add(expiresIn).UTC().Truncate(time.Second)
				req.ExpiresAt = &at
			}
			l, err := c.CreateLink(cmd.Context(), req)
			if err != nil {
				return fmt.Errorf("create link: %w", err)
			}
			return p.Link(l)
		}),
	}
	cmd.Flags().StringVar(&alias, "alias", "", "custom code instead of a generated one")
	cmd.Flags().DurationVar(&expiresIn, "expires-in", 0, "expire the link after this duration, e.g. 24h or 90m")
	return cmd
}

func (a *app) linksGetCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "get <code>",
		Short:   "Show a short link",
		Example: helpText("  APP links get docs -o json"),
		Args:    cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			if err := validateCode(args[0]); err != nil {
				return err
			}
			c, p, err := a.client(cmd.Context(), cmd)
			if err != nil {
				return err
			}
			l, err := c.GetLink(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("get link: %w", err)
			}
			return p.Link(l)
		}),
	}
}

func (a *app) linksListCommand() *cobra.Command {
	var (
		limit    int
		pageSize int
		cursor   string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List short links",
		Long: helpText(`List short links.

Without --cursor, APP follows the server's next_cursor from the first page
through to the last, or until --limit links were listed. Each request asks for
at most --page-size links (1-100), and never for more than --limit still
needs, so listing stops on a page boundary.

With --cursor, APP fetches that single page only (--cursor "" is the first
page). Either way, when more links remain the cursor that resumes the listing is
printed: as "next_cursor" in JSON and YAML, on stderr for tables.`),
		Example: helpText(`  APP links list                    # every link
  APP links list --limit 50         # the first 50
  APP links list --cursor "" --page-size 20 -o json   # page by page`),
		Args: cobra.NoArgs,
		RunE: a.runE(func(cmd *cobra.Command, _ []string) error {
			if pageSize < 1 || pageSize > api.MaxPageSize {
				return exitcode.NewUsageError(fmt.Errorf("--page-size %d: must be between 1 and %d", pageSize, api.MaxPageSize))
			}
			if limit < 0 {
				return exitcode.NewUsageError(fmt.Errorf("--limit %d: must not be negative", limit))
			}
			c, p, err := a.client(cmd.Context(), cmd)
			if err != nil {
				return err
			}
			var page api.Page
			if cmd.Flags().Changed("cursor") {
				n := pageSize
				if limit > 0 {
					n = min(n, limit)
				}
				page, err = c.ListLinks(cmd.Context(), n, cursor)
			} else {
				page, err = c.ListAllLinks(cmd.Context(), pageSize, limit, "")
			}
			if err != nil {
				return fmt.Errorf("list links: %w", err)
			}
			if err := p.Links(page.Links, page.NextCursor); err != nil {
				return err
			}
			if page.NextCursor != "" && p.Format() == output.Table && !a.quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "More links: %s links list --cursor %s\n", config.AppName, output.EscapeControls(page.NextCursor))
			}
			return nil
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "maximum number of links to list; 0 means all")
	cmd.Flags().IntVar(&pageSize, "page-size", api.MaxPageSize, "links per request, 1-100")
	cmd.Flags().StringVar(&cursor, "cursor", "", "fetch only the page at this cursor")
	return cmd
}

func (a *app) linksDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "delete <code>",
		Short:   "Delete a short link",
		Example: helpText("  APP links delete docs"),
		Args:    cobra.ExactArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			if err := validateCode(args[0]); err != nil {
				return err
			}
			c, p, err := a.client(cmd.Context(), cmd)
			if err != nil {
				return err
			}
			if err := c.DeleteLink(cmd.Context(), args[0]); err != nil {
				return fmt.Errorf("delete link: %w", err)
			}
			return p.Deleted(args[0])
		}),
	}
}

// validateCode rejects codes that cannot name a link in a URL path.
func validateCode(code string) error {
	if code == "" || code == "." || code == ".." {
		return exitcode.NewUsageError(errors.New("invalid link code"))
	}
	return nil
}
