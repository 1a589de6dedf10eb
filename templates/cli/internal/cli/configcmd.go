package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"example.com/gopher-template/cli/internal/config"
	"example.com/gopher-template/cli/internal/exitcode"
	"example.com/gopher-template/cli/internal/output"
)

func (a *app) configCommand() *cobra.Command {
	return a.groupCommand("config", "Show and change settings of the configuration file",
		a.configSetCommand(),
		a.configGetCommand(),
		a.configListCommand(),
		a.configPathCommand(),
	)
}

func keyNames() []string {
	keys := config.Keys()
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = string(k)
	}
	return names
}

func completeKeys(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return keyNames(), cobra.ShellCompDirectiveNoFileComp
}

func (a *app) configSetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "set <key> <value>",
		Short: "Store a setting in the selected profile",
		Long: `Store a setting in the selected profile of the configuration file, creating
the file (mode 0600, directory 0700) and the profile as needed.

Keys: ` + strings.Join(keyNames(), ", ") + `. An empty value removes the key.
A value of "-" is read from standard input, which keeps a token out of the
shell history and the process list.`,
		Example: helpText(`  APP config set endpoint https://sho.rt
  APP config set token - < token.txt
  APP --profile staging config set output json`),
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeKeys,
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			key, err := config.ParseKey(args[0])
			if err != nil {
				return exitcode.NewUsageError(err)
			}
			value := args[1]
			if value == "-" {
				if value, err = readLine(cmd); err != nil {
					return err
				}
			}
			s, err := a.load(cmd, true)
			if err != nil {
				return err
			}
			profile := s.file.Profiles[s.profile]
			if err := profile.Set(key, value); err != nil {
				return exitcode.NewUsageError(err)
			}
			s.file.Profiles[s.profile] = profile
			return config.Save(s.path, s.file)
		}),
	}
}

// readLine reads one value from standard input, without its line ending.
func readLine(cmd *cobra.Command) (string, error) {
	sc := bufio.NewScanner(cmd.InOrStdin())
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	if sc.Scan() {
		return strings.TrimSpace(sc.Text()), nil
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read value from stdin: %w", err)
	}
	return "", nil
}

func (a *app) configGetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "get <key>",
		Short: "Print the effective value of a setting",
		Long: `Print the effective value of a setting for the selected profile, after
flags, environment and defaults are applied. The token is masked.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeKeys,
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			key, err := config.ParseKey(args[0])
			if err != nil {
				return exitcode.NewUsageError(err)
			}
			s, err := a.load(cmd, false)
			if err != nil {
				return err
			}
			for _, set := range s.settings.All {
				if set.Key == key {
					_, err := fmt.Fprintln(cmd.OutOrStdout(), displayValue(set))
					return err
				}
			}
			return fmt.Errorf("key %q not resolved", key)
		}),
	}
}

func (a *app) configListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the effective settings and where each comes from",
		Long: `List the selected profile and every setting's effective value with its
source: flag, env, profile or default. The token is masked.`,
		Args: cobra.NoArgs,
		RunE: a.runE(func(cmd *cobra.Command, _ []string) error {
			s, err := a.load(cmd, false)
			if err != nil {
				return err
			}
			format, err := output.ParseFormat(s.settings.Output)
			if err != nil {
				return exitcode.NewUsageError(err)
			}
			keys := []string{"profile"}
			values := map[string]output.Setting{"profile": {Value: s.profile, Source: string(s.profileSource)}}
			for _, set := range s.settings.All {
				keys = append(keys, string(set.Key))
				values[string(set.Key)] = output.Setting{Value: displayValue(set), Source: string(set.Source)}
			}
			return output.New(cmd.OutOrStdout(), format, false).Settings(keys, values)
		}),
	}
}

func (a *app) configPathCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "path",
		Short: "Print the configuration file's path",
		Args:  cobra.NoArgs,
		RunE: a.runE(func(cmd *cobra.Command, _ []string) error {
			path, err := config.Path(a.deps.Getenv)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), path)
			return err
		}),
	}
}

// displayValue masks secrets.
func displayValue(s config.Setting) string {
	if s.Key == config.KeyToken {
		return config.Mask(s.Value)
	}
	return s.Value
}
