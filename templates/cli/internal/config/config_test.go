package config

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    *File
		wantErr string
	}{
		{name: "empty", in: "", want: &File{Profiles: map[string]Profile{}}},
		{name: "comment only", in: "# nothing\n", want: &File{Profiles: map[string]Profile{}}},
		{
			name: "profiles",
			in:   "profiles:\n  default:\n    endpoint: https://sho.rt\n    timeout: 5s\n  ci:\n    output: json\n    token: abc\n",
			want: &File{Profiles: map[string]Profile{
				"default": {Endpoint: "https://sho.rt", Timeout: "5s"},
				"ci":      {Output: "json", Token: "abc"},
			}},
		},
		{name: "unknown key", in: "profiles:\n  default:\n    endpont: x\n", wantErr: "endpont"},
		{name: "bad output", in: "profiles:\n  default:\n    output: xml\n", wantErr: `profile "default": output "xml"`},
		{name: "bad timeout", in: "profiles:\n  default:\n    timeout: -1s\n", wantErr: "must be positive"},
		{name: "bad endpoint", in: "profiles:\n  default:\n    endpoint: sho.rt\n", wantErr: "absolute http"},
		{name: "bad profile name", in: "profiles:\n  'a b': {}\n", wantErr: "invalid profile name"},
		{name: "not yaml", in: "profiles: [", wantErr: "parse config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", AppName, "config.yaml")
	f := &File{Profiles: map[string]Profile{"default": {Endpoint: "https://sho.rt", Token: "s3cret"}}}
	if err := Save(path, f); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, f) {
		t.Errorf("Load = %+v, want %+v", got, f)
	}
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits do not apply on Windows")
	}
	assertMode(t, path, 0o600)
	assertMode(t, filepath.Dir(path), 0o700|os.ModeDir)
}

// TestSaveRestrictsExisting saves over a directory and file made with loose modes, as an
// earlier version, another tool or the user may leave them: MkdirAll and the temporary file's
// mode alone leave the directory as it was.
func TestSaveRestrictsExisting(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits do not apply on Windows")
	}
	t.Parallel()
	tests := []struct {
		name    string
		dir     string // under a temporary directory
		mode    os.FileMode
		wantDir os.FileMode
	}{
		{name: "program directory 0755", dir: AppName, mode: 0o755, wantDir: 0o700},
		{name: "program directory 0777", dir: AppName, mode: 0o777, wantDir: 0o700},
		{name: "program directory 0750", dir: AppName, mode: 0o750, wantDir: 0o700},
		{name: "directory of the user's choice is left alone", dir: "elsewhere", mode: 0o755, wantDir: 0o755},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), tt.dir)
			path := filepath.Join(dir, "config.yaml")
			if err := os.Mkdir(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("profiles: {}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			for p, m := range map[string]os.FileMode{dir: tt.mode, path: 0o644} { // past the umask
				if err := os.Chmod(p, m); err != nil {
					t.Fatal(err)
				}
			}
			if err := Save(path, &File{Profiles: map[string]Profile{"default": {Token: "s3cret"}}}); err != nil {
				t.Fatal(err)
			}
			assertMode(t, path, 0o600)
			assertMode(t, dir, tt.wantDir|os.ModeDir)
		})
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	f, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err != nil || len(f.Profiles) != 0 {
		t.Fatalf("Load = %+v, %v; want empty config", f, err)
	}
}

func TestPath(t *testing.T) {
	userDir, err := os.UserConfigDir()
	if err != nil {
		t.Skipf("no user config directory here: %v", err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"env overrides", map[string]string{EnvPrefix + "CONFIG": "/tmp/x.yaml"}, "/tmp/x.yaml"},
		{"empty env counts as unset", map[string]string{EnvPrefix + "CONFIG": ""}, filepath.Join(userDir, AppName, "config.yaml")},
		{"default under the app's directory", nil, filepath.Join(userDir, AppName, "config.yaml")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Path(func(k string) string { return tt.env[k] }); err != nil || got != tt.want {
				t.Errorf("Path = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestEnvNames checks that every variable is the app's upper-snake name plus a suffix, so that
// a project generated as my-tool reads MY_TOOL_ENDPOINT.
func TestEnvNames(t *testing.T) {
	if want := strings.ToUpper(strings.ReplaceAll(AppName, "-", "_")) + "_"; EnvPrefix != want {
		t.Fatalf("EnvPrefix = %q, want %q (from AppName %q)", EnvPrefix, want, AppName)
	}
	tests := []struct {
		got, want string
	}{
		{EnvConfig, EnvPrefix + "CONFIG"},
		{EnvProfile, EnvPrefix + "PROFILE"},
		{EnvVar(KeyEndpoint), EnvPrefix + "ENDPOINT"},
		{EnvVar(KeyToken), EnvPrefix + "TOKEN"},
		{EnvVar(KeyOutput), EnvPrefix + "OUTPUT"},
		{EnvVar(KeyTimeout), EnvPrefix + "TIMEOUT"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestResolvePrecedence(t *testing.T) {
	profile := Profile{Endpoint: "https://profile.test", Output: "yaml", Timeout: "30s", Token: "profile-token"}
	env := map[string]string{
		EnvPrefix + "ENDPOINT": "https://env.test",
		EnvPrefix + "OUTPUT":   "json",
		EnvPrefix + "TIMEOUT":  "20s",
		EnvPrefix + "TOKEN":    "env-token",
	}
	flags := map[Key]string{KeyEndpoint: "https://flag.test", KeyOutput: "table", KeyTimeout: "5s", KeyToken: "flag-token"}

	type want struct {
		endpoint, token, output string
		timeout                 time.Duration
		source                  Source
	}
	tests := []struct {
		name    string
		flags   map[Key]string
		env     map[string]string
		profile Profile
		want    want
	}{
		{"default only", nil, nil, Profile{}, want{DefaultEndpoint, "", "table", DefaultTimeout, SourceDefault}},
		{"profile over default", nil, nil, profile, want{"https://profile.test", "profile-token", "yaml", 30 * time.Second, SourceProfile}},
		{"env over profile", nil, env, profile, want{"https://env.test", "env-token", "json", 20 * time.Second, SourceEnv}},
		{"flag over env", flags, env, profile, want{"https://flag.test", "flag-token", "table", 5 * time.Second, SourceFlag}},
		{"flag over default", flags, nil, Profile{}, want{"https://flag.test", "flag-token", "table", 5 * time.Second, SourceFlag}},
		{"empty env counts as unset", nil, map[string]string{EnvPrefix + "ENDPOINT": "", EnvPrefix + "OUTPUT": "", EnvPrefix + "TIMEOUT": "", EnvPrefix + "TOKEN": ""}, profile, want{"https://profile.test", "profile-token", "yaml", 30 * time.Second, SourceProfile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Resolve(Input{Flags: tt.flags, Getenv: func(k string) string { return tt.env[k] }, Profile: tt.profile})
			if err != nil {
				t.Fatal(err)
			}
			got := want{s.Endpoint, s.Token, s.Output, s.Timeout, s.All[0].Source}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			for _, set := range s.All {
				if set.Key != KeyToken && set.Source != tt.want.source { // token has no default
					t.Errorf("%s: source %s, want %s", set.Key, set.Source, tt.want.source)
				}
			}
		})
	}
}

func TestResolveMixedSources(t *testing.T) {
	s, err := Resolve(Input{
		Flags:   map[Key]string{KeyOutput: "json"},
		Getenv:  func(k string) string { return map[string]string{EnvPrefix + "TIMEOUT": "3s"}[k] },
		Profile: Profile{Endpoint: "https://p.test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Setting{
		{KeyEndpoint, "https://p.test", SourceProfile},
		{KeyToken, "", SourceDefault},
		{KeyOutput, "json", SourceFlag},
		{KeyTimeout, "3s", SourceEnv},
	}
	if !reflect.DeepEqual(s.All, want) {
		t.Errorf("All = %+v, want %+v", s.All, want)
	}
}

func TestResolveNamesBadSource(t *testing.T) {
	_, err := Resolve(Input{Getenv: func(k string) string {
		if k == EnvPrefix+"OUTPUT" {
			return "xml"
		}
		return ""
	}})
	if err == nil || !strings.Contains(err.Error(), EnvPrefix+"OUTPUT") {
		t.Fatalf("err = %v, want it to name %sOUTPUT", err, EnvPrefix)
	}
}

func TestMask(t *testing.T) {
	tests := map[string]string{
		"":                   "",
		"short":              "********",
		"abcdefghijkl":       "********ijkl",
		"0123456789abcdefXY": "********efXY",
	}
	for in, want := range tests {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProfileSet(t *testing.T) {
	var p Profile
	if err := p.Set(KeyTimeout, "1m"); err != nil || p.Timeout != "1m" {
		t.Fatalf("Set timeout: %v, %+v", err, p)
	}
	if err := p.Set(KeyOutput, "xml"); err == nil {
		t.Error("Set output xml succeeded")
	}
	if err := p.Set(KeyTimeout, ""); err != nil || p.Timeout != "" {
		t.Errorf("unset timeout: %v, %+v", err, p)
	}
}
