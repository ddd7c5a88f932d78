package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/lmskit/lmskit/examples/internal/keyringfile"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license/lmc"
	"github.com/lmskit/lmskit/signing"
)

// serve opens the LMC and serves it until ctx ends; a value on hup rereads the license directory.
func serve(ctx context.Context, cfg *Config, log *slog.Logger, hup <-chan os.Signal) error {
	kr, err := keyringfile.Load(cfg.Keyring)
	if err != nil {
		return err
	}
	src, err := source(cfg)
	if err != nil {
		return err
	}
	ttl, _ := cfg.ttl()
	l, err := lmc.Open(ctx, lmc.Config{Dir: cfg.Dir, Source: src, Keyring: kr.Keyring, LeaseTTL: ttl})
	if err != nil {
		return err
	}
	st, _ := l.Status(ctx)
	if st.SourceError != "" {
		// Not fatal: the LMC serves the files and the code it remembers, and keeps asking.
		log.Error("the host code source does not answer", "err", st.SourceError, "remembered_code", st.Code)
	}
	var opts []lmc.ServerOption
	if cfg.TokenFile != "" {
		tok, err := readToken(cfg.TokenFile)
		if err != nil {
			return err
		}
		opts = append(opts, lmc.WithServerToken(tok))
	}
	if cfg.AdminTokenFile != "" {
		tok, err := readToken(cfg.AdminTokenFile)
		if err != nil {
			return err
		}
		opts = append(opts, lmc.WithAdminToken(tok))
	}
	ln, err := lmc.Listen("unix", cfg.Socket)
	if err != nil {
		return err
	}
	if err := openSocket(cfg); err != nil {
		ln.Close()
		return err
	}
	// The socket is guarded by its mode and the peer's credentials, TCP by the tokens.
	srv := lmc.NewServer(l)
	servers := []*lmc.Server{srv}
	errs := make(chan error, 2)
	serving := 1
	go func() { errs <- srv.ServeContext(ctx, ln) }()
	tcpAddr := ""
	if cfg.TCP != "" {
		tln, err := lmc.Listen("tcp", cfg.TCP)
		if err != nil {
			srv.Close()
			<-errs
			return err
		}
		tcpAddr = tln.Addr().String()
		tsrv := lmc.NewServer(l, opts...)
		servers = append(servers, tsrv)
		serving++
		go func() { errs <- tsrv.ServeContext(ctx, tln) }()
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go l.Run(runCtx)
	log.Info("serving", "socket", cfg.Socket, "tcp", tcpAddr, "code", st.Code, "host_code", st.HostCode,
		"reachable", st.Reachable, "files", st.Files, "active", st.Active)
	var firstErr error
	for serving > 0 {
		select {
		case <-hup:
			res, err := l.Reread(ctx)
			if err != nil {
				log.Error("reread failed; nothing changed", "err", err)
				continue
			}
			log.Info("reread", "added", res.Added, "replaced", res.Replaced, "removed", res.Removed,
				"invalid", res.Invalid, "revoked_leases", res.Revoked)
		case err := <-errs:
			serving--
			if err != nil && !errors.Is(err, lmc.ErrClosed) && firstErr == nil {
				firstErr = err
				for _, s := range servers {
					s.Close() // one listener failed: stop the other too
				}
			}
		}
	}
	return firstErr
}

// source builds the host code source of the configuration.
func source(cfg *Config) (lmc.Source, error) {
	kind, rest, _ := strings.Cut(cfg.Source, ":")
	switch kind {
	case "static":
		sysName, code, ok := strings.Cut(rest, ":")
		if !ok {
			return nil, fmt.Errorf("-source %q: want static:SYSTEM:CODE", cfg.Source)
		}
		sys, ok := keycode.LookupSystem(sysName)
		if !ok {
			return nil, fmt.Errorf("-source: unknown system %q", sysName)
		}
		c, err := keycode.Parse(sys, code)
		if err != nil {
			return nil, fmt.Errorf("-source: %w", err)
		}
		return lmc.StaticSource(c), nil
	case "uip":
		if rest != "" {
			return nil, fmt.Errorf("-source %q: uip takes nothing after it", cfg.Source)
		}
		return lmc.UIPSource(cfg.Dir, nil), nil
	case "pbx":
		if cfg.PBXKey == "" {
			return nil, fmt.Errorf("-source pbx: needs -pbx-key, the PBX's public device key")
		}
		b, err := os.ReadFile(cfg.PBXKey)
		if err != nil {
			return nil, err
		}
		key, err := signing.ParsePublicKeyPEM(b)
		if err != nil {
			return nil, fmt.Errorf("-pbx-key %s: %w", cfg.PBXKey, err)
		}
		return &lmc.PBXSource{URL: rest, Key: key}, nil
	}
	return nil, fmt.Errorf("-source %q: want static:SYSTEM:CODE, uip or pbx:URL", cfg.Source)
}

// openSocket gives the socket its mode and group.
func openSocket(cfg *Config) error {
	mode, _ := cfg.mode()
	if cfg.SocketGroup != "" {
		gid, err := strconv.Atoi(cfg.SocketGroup)
		if err != nil {
			g, lerr := user.LookupGroup(cfg.SocketGroup)
			if lerr != nil {
				return fmt.Errorf("-socket-group: %w", lerr)
			}
			gid, _ = strconv.Atoi(g.Gid)
		}
		if err := os.Chown(cfg.Socket, -1, gid); err != nil {
			return fmt.Errorf("-socket-group: %w", err)
		}
	}
	if err := os.Chmod(cfg.Socket, mode); err != nil {
		return fmt.Errorf("-socket-mode: %w", err)
	}
	return nil
}

// readToken reads a token file; a trailing newline is not part of the token. The token is never
// logged.
func readToken(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) < 16 || len(b) > 256 {
		return nil, fmt.Errorf("%s: a token is 16 to 256 bytes, this one %d", path, len(b))
	}
	return b, nil
}
