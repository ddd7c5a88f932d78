package main

import (
	"time"

	"github.com/lmskit/lmskit/license/lmc"
)

// The JSON forms of the lmc commands' answers: snake_case names as every other read command
// prints them, statuses in words, times in RFC 3339 and left out when they are not set, lists
// never null.

type statusJSON struct {
	Code        string     `json:"code"`
	HostCode    string     `json:"host_code"`
	Bound       string     `json:"bound"`
	Reachable   bool       `json:"reachable"`
	LastContact *time.Time `json:"last_contact,omitempty"`
	SourceError string     `json:"source_error,omitempty"`
	HostChanged bool       `json:"host_changed"`
	Files       int        `json:"files"`
	Active      int        `json:"active"`
	Until       *time.Time `json:"until,omitempty"`
}

type fileJSON struct {
	Serial   string     `json:"serial"`
	Status   string     `json:"status"`
	Term     string     `json:"term,omitempty"`
	Issued   *time.Time `json:"issued,omitempty"`
	NotAfter *time.Time `json:"not_after,omitempty"`
	Lines    int        `json:"lines"`
	Code     string     `json:"code"`
	Error    string     `json:"error,omitempty"`
}

type leaseJSON struct {
	Handle  string     `json:"handle"`
	App     string     `json:"app"`
	Part    string     `json:"part"`
	Seats   int        `json:"seats"`
	Count   int        `json:"count"`
	Taken   *time.Time `json:"taken,omitempty"`
	Expires *time.Time `json:"expires,omitempty"`
	PID     int        `json:"pid,omitempty"`
	UID     *int       `json:"uid,omitempty"`
}

type usageJSON struct {
	Part    string       `json:"part"`
	Count   int          `json:"count"`
	InUse   int          `json:"in_use"`
	Holders []holderJSON `json:"holders"`
}

type holderJSON struct {
	App    string `json:"app"`
	Seats  int    `json:"seats"`
	Leases int    `json:"leases"`
}

type rereadJSON struct {
	Added    []string `json:"added"`
	Replaced []string `json:"replaced"`
	Removed  []string `json:"removed"`
	Invalid  []string `json:"invalid"`
	Revoked  int      `json:"revoked"`
}

// timeOrNil is t in UTC, or nil when it is the zero time.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func toStatusJSON(s lmc.Status) statusJSON {
	return statusJSON{Code: s.Code, HostCode: s.HostCode, Bound: s.Bound, Reachable: s.Reachable,
		LastContact: timeOrNil(s.LastContact), SourceError: s.SourceError, HostChanged: s.HostChanged,
		Files: s.Files, Active: s.Active, Until: timeOrNil(s.Until)}
}

func toFilesJSON(fs []lmc.FileSummary) []fileJSON {
	out := make([]fileJSON, 0, len(fs))
	for _, f := range fs {
		out = append(out, fileJSON{Serial: f.Serial, Status: f.Status.String(), Term: f.Term, Issued: timeOrNil(f.Issued),
			NotAfter: timeOrNil(f.NotAfter), Lines: f.Lines, Code: f.Code, Error: f.Err})
	}
	return out
}

func toLeasesJSON(ls []lmc.LeaseInfo) []leaseJSON {
	out := make([]leaseJSON, 0, len(ls))
	for _, l := range ls {
		j := leaseJSON{Handle: l.Handle, App: l.App, Part: l.Part, Seats: l.Seats, Count: l.Count,
			Taken: timeOrNil(l.Taken), Expires: timeOrNil(l.Expires), PID: l.PID}
		if l.UID >= 0 && l.PID != 0 {
			uid := l.UID
			j.UID = &uid
		}
		out = append(out, j)
	}
	return out
}

func toUsageJSON(u lmc.Usage) usageJSON {
	j := usageJSON{Part: u.Part, Count: u.Count, InUse: u.InUse, Holders: make([]holderJSON, 0, len(u.Holders))}
	for _, h := range u.Holders {
		j.Holders = append(j.Holders, holderJSON{App: h.App, Seats: h.Seats, Leases: h.Leases})
	}
	return j
}

func toRereadJSON(r lmc.RereadResult) rereadJSON {
	return rereadJSON{Added: orEmpty(r.Added), Replaced: orEmpty(r.Replaced), Removed: orEmpty(r.Removed),
		Invalid: orEmpty(r.Invalid), Revoked: r.Revoked}
}
