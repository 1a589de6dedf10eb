// Package cli builds the CLI's command tree and runs it. Nothing here is global: every Run
// builds a fresh tree bound to the Deps it is given, so tests run commands in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"example.com/gopher-template/cli/internal/api"
	"example.com/gopher-template/cli/internal/config"
	"example.com/gopher-template/cli/internal/exitcode"
	"example.com/gopher-template/cli/internal/output"
)

// Deps are the process-level inputs of the CLI: main passes the real ones, tests fakes.
type Deps struct {
	Version    string
	Getenv     func(string) string
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	Now        func() time.Time // nil means time.Now
	HTTPClient *http.Client     // nil means a default client
	Retry      *api.RetryPolicy // nil means api.DefaultRetryPolicy
}

// Run executes args (without the program name) and returns the process exit code.
// Errors are reported on Stderr.
func Run(ctx context.Context, args []string, deps Deps) int {
	a := newApp(deps)
	root := a.rootCommand() //nolint:contextcheck // ctx reaches the commands through ExecuteContextC and cmd.Context()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitcode.OK
	}
	if !a.started {
		// Cobra failed before any command ran: unknown command or flag, bad arguments.
		err = exitcode.NewUsageError(err)
	}
	code := exitcode.From(err)
	// Errors quote the server's messages: escaped, as the tables are.
	fmt.Fprintf(a.deps.Stderr, "%s: %s\n", root.Name(), output.EscapeMessage(err.Error()))
	if code == exitcode.Usage && cmd != nil {
		fmt.Fprintf(a.deps.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// app holds one invocation's dependencies and global flag values.
type app struct {
	deps    Deps
	started bool // set when a command's RunE begins; earlier errors are usage errors

	profile  string
	endpoint string
	token    string
	output   string
	timeout  time.Duration
	quiet    bool
	debug    bool
}

func newApp(deps Deps) *app {
	if deps.Getenv == nil {
		deps.Getenv = func(string) string { return "" }
	}
	if deps.Stdin == nil {
		deps.Stdin = strings.NewReader("")
	}
	if deps.Stdout == nil {
		deps.Stdout = io.Discard
	}
	if deps.Stderr == nil {
		deps.Stderr = io.Discard
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Version == "" {
		deps.Version = "dev"
	}
	return &app{deps: deps}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   config.AppName,
		Short: "Manage short links from the command line",
		Long: helpText(`APP manages short links through the link-shortener HTTP API.

Settings (endpoint, token, output, timeout) come from, in order of precedence:
command-line flags, APP_* environment variables, the selected profile of the
configuration file, and built-in defaults. The file is config.yaml under APP/
in the user configuration directory, or $APP_CONFIG. The profile is --profile,
else $APP_PROFILE, else "default".

Exit codes:
`) + exitCodeHelp(),
		Version:           a.deps.Version,
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true, // reproducible docs
	}
	root.SetVersionTemplate(config.AppName + " {{.Version}}\n")
	root.SetIn(a.deps.Stdin)
	root.SetOut(a.deps.Stdout)
	root.SetErr(a.deps.Stderr)

	f := root.PersistentFlags()
	f.StringVar(&a.profile, "profile", "",
		fmt.Sprintf("configuration profile (env %s, default %q)", config.EnvProfile, config.DefaultProfile))
	f.StringVar(&a.endpoint, "endpoint", "",
		fmt.Sprintf("API base URL (env %s, default %s)", config.EnvVar(config.KeyEndpoint), config.DefaultEndpoint))
	f.StringVar(&a.token, "token", "",
		fmt.Sprintf("API token (env %s); prefer the environment or config file, flags show up in process lists", config.EnvVar(config.KeyToken)))
	f.StringVarP(&a.output, "output", "o", "",
		fmt.Sprintf("output format: table, json or yaml (env %s, default %s)", config.EnvVar(config.KeyOutput), config.DefaultOutput))
	f.DurationVar(&a.timeout, "timeout", 0,
		fmt.Sprintf("time limit for each API operation, retries included (env %s, default %s)", config.EnvVar(config.KeyTimeout), config.DefaultTimeout))
	f.BoolVarP(&a.quiet, "quiet", "q", false, "print only link codes")
	f.BoolVar(&a.debug, "debug", false, "trace HTTP requests (method, URL, status, duration) to stderr")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(
		[]string{config.OutputTable, config.OutputJSON, config.OutputYAML}, cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc("profile", a.completeProfiles)

	root.AddCommand(
		a.linksCommand(),
		a.configCommand(),
		a.versionCommand(),
		a.docsCommand(),
	)
	// Add Cobra's "completion" command now, rather than on Execute, to make it a group too.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			a.asGroup(c)
		}
	}
	return root
}

// helpText writes the program's names into help text and examples, which spell them with
// placeholders so that they read as the user types them: "APP_" becomes config.EnvPrefix and
// "APP" config.AppName. The longer placeholder comes first so that it wins.
func helpText(s string) string {
	return strings.NewReplacer("APP_", config.EnvPrefix, "APP", config.AppName).Replace(s)
}

func exitCodeHelp() string {
	var b strings.Builder
	for _, m := range exitcode.Table() {
		fmt.Fprintf(&b, "  %d  %s\n", m.Code, m.Description)
	}
	return b.String()
}

// runE marks the start of a command, so that errors returned from here on are classified by
// their type rather than as usage errors.
func (a *app) runE(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.started = true
		return fn(cmd, args)
	}
}

// groupCommand returns a command that only holds subcommands.
func (a *app) groupCommand(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short}
	cmd.AddCommand(subs...)
	a.asGroup(cmd)
	return cmd
}

// asGroup makes cmd print its help when run alone and fail with a usage error when given an
// unknown subcommand (by default Cobra prints help and exits 0 for those).
func (a *app) asGroup(cmd *cobra.Command) {
	cmd.SuggestionsMinimumDistance = 2
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return errors.New(msg)
	}
	cmd.RunE = a.runE(func(cmd *cobra.Command, _ []string) error { return cmd.Help() })
}

// profileName returns the selected profile and where the choice came from.
func (a *app) profileName(cmd *cobra.Command) (string, config.Source, error) {
	name, src := config.DefaultProfile, config.SourceDefault
	if cmd.Flags().Changed("profile") {
		name, src = a.profile, config.SourceFlag
	} else if v := a.deps.Getenv(config.EnvProfile); v != "" {
		name, src = v, config.SourceEnv
	}
	if err := config.ValidateProfileName(name); err != nil {
		return "", "", exitcode.NewUsageError(err)
	}
	return name, src, nil
}

// session is what a command needs after configuration is resolved.
type session struct {
	profile       string
	profileSource config.Source
	path          string
	file          *config.File
	settings      config.Settings
}

// load reads the config file and resolves settings. A profile named explicitly must exist
// unless allowMissing (config set creates it).
func (a *app) load(cmd *cobra.Command, allowMissing bool) (*session, error) {
	name, src, err := a.profileName(cmd)
	if err != nil {
		return nil, err
	}
	path, err := config.Path(a.deps.Getenv)
	if err != nil {
		return nil, err
	}
	file, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	profile, ok := file.Profiles[name]
	if !ok && src != config.SourceDefault && !allowMissing {
		return nil, exitcode.NewUsageError(fmt.Errorf("profile %q not found in %s", name, path))
	}
	flags := map[config.Key]string{}
	for _, k := range config.Keys() {
		if cmd.Flags().Changed(string(k)) {
			flags[k] = cmd.Flags().Lookup(string(k)).Value.String()
		}
	}
	settings, err := config.Resolve(config.Input{Flags: flags, Getenv: a.deps.Getenv, Profile: profile})
	if err != nil {
		return nil, exitcode.NewUsageError(err)
	}
	return &session{profile: name, profileSource: src, path: path, file: file, settings: settings}, nil
}

// client resolves settings and returns an API client and a printer for them.
func (a *app) client(ctx context.Context, cmd *cobra.Command) (*api.Client, *output.Printer, error) {
	s, err := a.load(cmd, false)
	if err != nil {
		return nil, nil, err
	}
	format, err := output.ParseFormat(s.settings.Output)
	if err != nil {
		return nil, nil, exitcode.NewUsageError(err)
	}
	logger := slog.New(slog.DiscardHandler)
	if a.debug {
		logger = slog.New(slog.NewTextHandler(a.deps.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	logger.DebugContext(ctx, "settings",
		slog.String("profile", s.profile),
		slog.String("config", s.path),
		slog.String("endpoint", s.settings.Endpoint),
		slog.Bool("token_set", s.settings.Token != ""),
		slog.Duration("timeout", s.settings.Timeout))
	c, err := api.New(api.Options{
		Endpoint:   s.settings.Endpoint,
		Token:      s.settings.Token,
		UserAgent:  config.AppName + "/" + a.deps.Version,
		Timeout:    s.settings.Timeout,
		HTTPClient: a.deps.HTTPClient,
		Logger:     logger,
		Retry:      a.deps.Retry,
	})
	if err != nil {
		return nil, nil, exitcode.NewUsageError(err)
	}
	return c, output.New(cmd.OutOrStdout(), format, a.quiet), nil
}

func (a *app) completeProfiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	path, err := config.Path(a.deps.Getenv)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	file, err := config.Load(path)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return slices.Sorted(maps.Keys(file.Profiles)), cobra.ShellCompDirectiveNoFileComp
}
