package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is the daemon's configuration: a JSON file (-config), each field overridden by its flag.
type Config struct {
	// Dir is the LMC's directory (installed files, remembered host codes, the UIP code).
	Dir string `json:"dir"`
	// Socket is the unix socket's path.
	Socket string `json:"socket"`
	// SocketMode is the socket's mode, octal ("0660"); "" means 0600.
	SocketMode string `json:"socket_mode"`
	// SocketGroup is the group the socket is given (a name or a number); "" leaves it.
	SocketGroup string `json:"socket_group"`
	// TCP is a loopback address to serve as well ("127.0.0.1:7707"); it needs TokenFile.
	TCP string `json:"tcp"`
	// TokenFile holds the client token (16 to 256 bytes; a trailing newline is dropped).
	TokenFile string `json:"token_file"`
	// AdminTokenFile holds the administrator's token for TCP; it must differ from the client token.
	AdminTokenFile string `json:"admin_token_file"`
	// Keyring is the keyring file of the vendor keys (see examples/internal/keyringfile).
	Keyring string `json:"keyring"`
	// Source is where the host code comes from: "static:SYSTEM:CODE", "uip" or "pbx:URL".
	Source string `json:"source"`
	// PBXKey is the PBX's public device key (PEM) for a "pbx:" source.
	PBXKey string `json:"pbx_key"`
	// LeaseTTL is the lease TTL ("2m"); "" means the LMC's default.
	LeaseTTL string `json:"lease_ttl"`
	// LogLevel is debug, info, warn or error; "" means info.
	LogLevel string `json:"log_level"`
}

const usage = `usage: lmcd [flags]

Serves the License Management Client on a unix socket. Flags override the -config file.

`

// parseArgs reads the flags and the -config file; help goes to stdout.
func parseArgs(args []string, stdout io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("lmcd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	var cfgPath string
	var c Config
	fs.StringVar(&cfgPath, "config", "", "JSON configuration `file`")
	fs.StringVar(&c.Dir, "dir", "", "the LMC's `directory`")
	fs.StringVar(&c.Socket, "socket", "", "unix socket `path`")
	fs.StringVar(&c.SocketMode, "socket-mode", "", "socket `mode`, octal (default 0600)")
	fs.StringVar(&c.SocketGroup, "socket-group", "", "socket `group`, name or number")
	fs.StringVar(&c.TCP, "tcp", "", "also serve this loopback `address` (needs -token-file)")
	fs.StringVar(&c.TokenFile, "token-file", "", "client token `file`")
	fs.StringVar(&c.AdminTokenFile, "admin-token-file", "", "administrator's token `file` (TCP)")
	fs.StringVar(&c.Keyring, "keyring", "", "vendor keyring `file`")
	fs.StringVar(&c.Source, "source", "", "host code `source`: static:SYSTEM:CODE, uip or pbx:URL")
	fs.StringVar(&c.PBXKey, "pbx-key", "", "the PBX's public device key `file` (PEM), for a pbx: source")
	fs.StringVar(&c.LeaseTTL, "lease-ttl", "", "lease `TTL` (default 2m)")
	fs.StringVar(&c.LogLevel, "log-level", "", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var cfg Config
	if cfgPath != "" {
		b, err := os.ReadFile(cfgPath)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", cfgPath, err)
		}
	}
	// Flags given on the command line win.
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "dir":
			cfg.Dir = c.Dir
		case "socket":
			cfg.Socket = c.Socket
		case "socket-mode":
			cfg.SocketMode = c.SocketMode
		case "socket-group":
			cfg.SocketGroup = c.SocketGroup
		case "tcp":
			cfg.TCP = c.TCP
		case "token-file":
			cfg.TokenFile = c.TokenFile
		case "admin-token-file":
			cfg.AdminTokenFile = c.AdminTokenFile
		case "keyring":
			cfg.Keyring = c.Keyring
		case "source":
			cfg.Source = c.Source
		case "pbx-key":
			cfg.PBXKey = c.PBXKey
		case "lease-ttl":
			cfg.LeaseTTL = c.LeaseTTL
		case "log-level":
			cfg.LogLevel = c.LogLevel
		}
	})
	return &cfg, cfg.check()
}

// check reports what is missing or malformed before anything is opened.
func (c *Config) check() error {
	var missing []string
	for name, v := range map[string]string{"-dir": c.Dir, "-socket": c.Socket, "-keyring": c.Keyring, "-source": c.Source} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("missing %s (in flags or the -config file)", strings.Join(missing, ", "))
	}
	if _, err := c.mode(); err != nil {
		return err
	}
	if _, err := c.ttl(); err != nil {
		return err
	}
	if c.TCP != "" && c.TokenFile == "" {
		return fmt.Errorf("-tcp needs -token-file: the LMC serves TCP only with a token")
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("-log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

func (c *Config) mode() (os.FileMode, error) {
	if c.SocketMode == "" {
		return 0o600, nil
	}
	m, err := strconv.ParseUint(c.SocketMode, 8, 32)
	if err != nil || m&^0o777 != 0 {
		return 0, fmt.Errorf("-socket-mode %q: want an octal mode such as 0660", c.SocketMode)
	}
	if m&0o007 != 0 {
		return 0, fmt.Errorf("-socket-mode %q opens the socket to every user; use a group (0660 and -socket-group)", c.SocketMode)
	}
	return os.FileMode(m), nil
}

func (c *Config) ttl() (time.Duration, error) {
	if c.LeaseTTL == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(c.LeaseTTL)
	if err != nil || d < time.Second || d > 24*time.Hour {
		return 0, fmt.Errorf("-lease-ttl %q: want a duration from 1s to 24h", c.LeaseTTL)
	}
	return d, nil
}

func (c *Config) level() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
