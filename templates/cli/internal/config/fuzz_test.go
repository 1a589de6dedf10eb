package config

import (
	"reflect"
	"testing"
)

// FuzzParseConfig checks that Parse never panics and that whatever it accepts survives a
// Marshal/Parse round trip unchanged.
func FuzzParseConfig(f *testing.F) {
	seeds := []string{
		"",
		"profiles: {}\n",
		"profiles:\n  default:\n    endpoint: https://sho.rt\n    token: abc\n    output: json\n    timeout: 10s\n",
		"profiles:\n  a: {}\n  b:\n    token: \"123\"\n",
		"profiles:\n  default:\n    timeout: 1h30m\n    endpoint: http://[::1]:8080/base\n",
		"profiles: [",
		"profiles:\n  x: &a {output: yaml}\n  y: *a\n",
		"- 1\n- 2\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			return
		}
		out, err := Marshal(cfg)
		if err != nil {
			t.Fatalf("Marshal of parsed config: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse of marshalled config: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(cfg, again) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", cfg, again)
		}
	})
}
