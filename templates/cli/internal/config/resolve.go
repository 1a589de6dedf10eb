package config

import (
	"fmt"
	"strings"
	"time"
)

// Source says where a resolved setting came from.
type Source string

// Sources, from highest to lowest precedence.
const (
	SourceFlag    Source = "flag"
	SourceEnv     Source = "env"
	SourceProfile Source = "profile"
	SourceDefault Source = "default"
)

// Defaults used when no flag, environment variable or profile sets a key; DefaultEndpoint
// is in defaults.go.
const (
	DefaultOutput  = OutputTable
	DefaultTimeout = 10 * time.Second
)

// EnvVar returns the environment variable for k: EnvPrefix + "ENDPOINT" for KeyEndpoint.
func EnvVar(k Key) string { return EnvPrefix + strings.ToUpper(string(k)) }

// Setting is one resolved value and where it came from.
type Setting struct {
	Key    Key
	Value  string
	Source Source
}

// Settings are the effective configuration of one invocation.
type Settings struct {
	Endpoint string
	Token    string
	Output   string
	Timeout  time.Duration
	// All lists every key in Keys order, with its source.
	All []Setting
}

// Input is what Resolve chooses from.
type Input struct {
	Flags   map[Key]string      // only the flags given on the command line
	Getenv  func(string) string // reads EnvVar(k) for each key; empty values count as unset
	Profile Profile             // the selected profile (zero when absent)
}

// Resolve picks each key's value with the precedence flag > environment > profile > default
// and validates it. Errors name the key and the source of the bad value.
func Resolve(in Input) (Settings, error) {
	var s Settings
	for _, k := range Keys() {
		set := pick(k, in)
		if set.Value != "" {
			if err := Validate(k, set.Value); err != nil {
				return Settings{}, fmt.Errorf("%s (from %s): %w", k, describe(k, set.Source), err)
			}
		}
		switch k {
		case KeyEndpoint:
			s.Endpoint = set.Value
		case KeyToken:
			s.Token = set.Value
		case KeyOutput:
			s.Output = set.Value
		case KeyTimeout:
			s.Timeout, _ = ParseTimeout(set.Value) // validated above
		}
		s.All = append(s.All, set)
	}
	return s, nil
}

func pick(k Key, in Input) Setting {
	if v := in.Flags[k]; v != "" {
		return Setting{Key: k, Value: v, Source: SourceFlag}
	}
	if in.Getenv != nil {
		if v := in.Getenv(EnvVar(k)); v != "" {
			return Setting{Key: k, Value: v, Source: SourceEnv}
		}
	}
	if v := in.Profile.Get(k); v != "" {
		return Setting{Key: k, Value: v, Source: SourceProfile}
	}
	return Setting{Key: k, Value: defaultValue(k), Source: SourceDefault}
}

func defaultValue(k Key) string {
	switch k {
	case KeyEndpoint:
		return DefaultEndpoint
	case KeyOutput:
		return DefaultOutput
	case KeyTimeout:
		return DefaultTimeout.String()
	}
	return ""
}

func describe(k Key, s Source) string {
	switch s {
	case SourceFlag:
		return "--" + string(k)
	case SourceEnv:
		return EnvVar(k)
	}
	return string(s)
}

// Mask hides a secret: only its last four characters are shown, and only when it is long
// enough (12+) for that to give nothing away.
func Mask(secret string) string {
	r := []rune(secret)
	switch {
	case len(r) == 0:
		return ""
	case len(r) < 12:
		return "********"
	}
	return "********" + string(r[len(r)-4:])
}
