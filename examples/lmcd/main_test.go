package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/examples/internal/keyringfile"
	"github.com/lmskit/lmskit/signing"
)

// TestConfigRefused: a wrong configuration exits 2 before anything is opened, with the reason on
// stderr; a source that can never give an LMC code exits 1 at start. (The daemon at work is tested
// by examples/lmskit, which runs the built lmcd.)
func TestConfigRefused(t *testing.T) {
	dir := t.TempDir()
	k, _ := signing.NewKeyFromSeed(bytes.Repeat([]byte{1}, signing.SeedSize)) // a fixed test key
	kr := filepath.Join(dir, "vendor.keyring")
	os.WriteFile(kr, keyringfile.Format([]keyringfile.Entry{{Key: k.Public()}}), 0o644)
	cfg := filepath.Join(dir, "lmcd.json")
	os.WriteFile(cfg, []byte(`{"dir": "x", "sockett": "y"}`), 0o644)
	base := []string{"-dir", filepath.Join(dir, "lmc"), "-socket", filepath.Join(dir, "s"), "-keyring", kr}
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"help", []string{"-h"}, 0, "usage: lmcd"},
		{"nothing", nil, 2, "missing -dir, -keyring, -socket, -source"},
		{"stray argument", []string{"run"}, 2, `unexpected argument "run"`},
		{"unknown config field", []string{"-config", cfg}, 2, `unknown field "sockett"`},
		{"world-open socket", append(base, "-source", "uip", "-socket-mode", "0666"), 2, "opens the socket to every user"},
		{"tcp without token", append(base, "-source", "uip", "-tcp", "127.0.0.1:7707"), 2, "-tcp needs -token-file"},
		{"bad ttl", append(base, "-source", "uip", "-lease-ttl", "forever"), 2, "-lease-ttl"},
		{"bad source", append(base, "-source", "dns:x"), 1, "want static:SYSTEM:CODE, uip or pbx:URL"},
		{"code without an LMC form", append(base, "-source", "static:SV8100:190400324412"), 1, "misconfigured source"},
		{"pbx without key", append(base, "-source", "pbx:http://127.0.0.1:1/hwkc"), 1, "needs -pbx-key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stdout.String()+stderr.String(), tc.msg) {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tc.code, tc.msg, stdout.String(), stderr.String())
			}
		})
	}
}
