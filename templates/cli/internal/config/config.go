// Package config reads and writes the CLI's configuration file (named profiles, like the
// AWS CLI) and resolves settings with the precedence flag > environment > profile > default.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Key names one setting.
type Key string

// The settings a profile can hold.
const (
	KeyEndpoint Key = "endpoint"
	KeyToken    Key = "token"
	KeyOutput   Key = "output"
	KeyTimeout  Key = "timeout"
)

// Keys returns every Key in display order.
func Keys() []Key { return []Key{KeyEndpoint, KeyToken, KeyOutput, KeyTimeout} }

// ParseKey checks that s names a setting.
func ParseKey(s string) (Key, error) {
	for _, k := range Keys() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown key %q (want one of %s)", s, joinKeys())
}

func joinKeys() string {
	var b strings.Builder
	for i, k := range Keys() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(k))
	}
	return b.String()
}

// Output formats accepted by the output key.
const (
	OutputTable = "table"
	OutputJSON  = "json"
	OutputYAML  = "yaml"
)

// Environment variables that are not settings, named from EnvPrefix.
const (
	// EnvConfig overrides the config file path.
	EnvConfig = EnvPrefix + "CONFIG"
	// EnvProfile selects the profile.
	EnvProfile = EnvPrefix + "PROFILE"
)

// DefaultProfile is used when neither --profile nor EnvProfile is set.
const DefaultProfile = "default"

// File is the configuration file:
//
//	profiles:
//	  default:
//	    endpoint: https://sho.rt
//	    token: s3cret
//	    output: table
//	    timeout: 10s
type File struct {
	Profiles map[string]Profile `yaml:"profiles"`
}

// Profile is one named set of settings. Empty fields are unset.
type Profile struct {
	Endpoint string `yaml:"endpoint,omitempty"`
	Token    string `yaml:"token,omitempty"`
	Output   string `yaml:"output,omitempty"`
	Timeout  string `yaml:"timeout,omitempty"`
}

// Get returns the value of k in p ("" when unset).
func (p Profile) Get(k Key) string {
	switch k {
	case KeyEndpoint:
		return p.Endpoint
	case KeyToken:
		return p.Token
	case KeyOutput:
		return p.Output
	case KeyTimeout:
		return p.Timeout
	}
	return ""
}

// Set validates v and stores it as k. An empty v unsets k.
func (p *Profile) Set(k Key, v string) error {
	if v != "" {
		if err := Validate(k, v); err != nil {
			return err
		}
	}
	switch k {
	case KeyEndpoint:
		p.Endpoint = v
	case KeyToken:
		p.Token = v
	case KeyOutput:
		p.Output = v
	case KeyTimeout:
		p.Timeout = v
	default:
		return fmt.Errorf("unknown key %q", k)
	}
	return nil
}

// Validate checks a non-empty value for k.
func Validate(k Key, v string) error {
	switch k {
	case KeyEndpoint:
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("endpoint %q: want an absolute http or https URL", v)
		}
	case KeyToken:
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return errors.New("token: must not contain control characters")
		}
	case KeyOutput:
		if v != OutputTable && v != OutputJSON && v != OutputYAML {
			return fmt.Errorf("output %q: want table, json or yaml", v)
		}
	case KeyTimeout:
		if _, err := ParseTimeout(v); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown key %q", k)
	}
	return nil
}

// ParseTimeout parses a positive Go duration such as "10s" or "1m30s".
func ParseTimeout(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("timeout %q: %w", v, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("timeout %q: must be positive", v)
	}
	return d, nil
}

// ValidateProfileName checks a profile name: 1 to 64 ASCII letters, digits, '_', '.' or '-',
// starting with a letter or digit.
func ValidateProfileName(name string) error {
	ok := name != "" && len(name) <= 64 && name[0] != '_' && name[0] != '.' && name[0] != '-'
	for _, r := range name {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-')
	}
	if !ok {
		return fmt.Errorf("invalid profile name %q: use letters, digits, '_', '.' or '-' (at most 64)", name)
	}
	return nil
}

// Parse decodes and validates a configuration file. Unknown keys are errors, so typos do not
// go unnoticed. Empty input is an empty configuration.
func Parse(data []byte) (*File, error) {
	f := &File{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse config: %w", err)
	}
	if f.Profiles == nil {
		f.Profiles = map[string]Profile{}
	}
	names := make([]string, 0, len(f.Profiles))
	for name := range f.Profiles {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := ValidateProfileName(name); err != nil {
			return nil, fmt.Errorf("parse config: %w", err)
		}
		p := f.Profiles[name]
		for _, k := range Keys() {
			if v := p.Get(k); v != "" {
				if err := Validate(k, v); err != nil {
					return nil, fmt.Errorf("parse config: profile %q: %w", name, err)
				}
			}
		}
	}
	return f, nil
}

// Marshal encodes f as YAML.
func Marshal(f *File) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

// Path returns the configuration file's path: the EnvConfig variable when set, otherwise
// AppName/config.yaml under os.UserConfigDir.
func Path(getenv func(string) string) (string, error) {
	if p := getenv(EnvConfig); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("locate config directory (set %s): %w", EnvConfig, err)
	}
	return filepath.Join(dir, AppName, "config.yaml"), nil
}

// Load reads the file at path. A missing file is an empty configuration.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path) //nolint:gosec // the path is the user's own config file
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Profiles: map[string]Profile{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Save writes f to path atomically, with mode 0600 since it may hold a token. The directory
// is created with mode 0700; an existing one named for the program (AppName, as the default
// path's is) loses its group and other permissions, as it belongs to the program alone.
// Any other directory is the user's choice through EnvConfig (a home or project directory,
// /tmp) and is left as it is: the file's own mode protects the token.
func Save(path string, f *File) error {
	data, err := Marshal(f)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	if filepath.Base(dir) == AppName {
		if err := restrictDir(dir); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(dir, ".config-*.yaml") // created with mode 0600
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// restrictDir removes group and other permissions from dir, which MkdirAll leaves as they
// are when dir exists (a 0755 made by an earlier version, another tool or the user).
func restrictDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("config directory: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if err := os.Chmod(dir, perm&^0o077); err != nil {
			return fmt.Errorf("restrict config directory permissions: %w", err)
		}
	}
	return nil
}
