package keycode

import (
	"fmt"
	"time"
)

// tempKeyPrefix is the system prefix of the temp keys of the systems that use them.
func tempKeyPrefix(sys System) (string, bool) {
	switch sys {
	case SRMGC:
		return "22", true
	case SV9500:
		return "35", true
	}
	return "", false
}

// TempKey returns the temp key of system sys created at time t with sequence number seq:
// "SS-yyMMddHHmmss-NNN-TEMP-KEY", SS the system prefix ("22" for SR-MGC, "35" for SV9500), the time
// in UTC, NNN the sequence number in three digits. SR-MGC child locations keep their temp key; an
// SV9500 Standard Server location has one until its virtual code exists.
//
// t must fall in the years 2000 to 2099 (UTC) and seq in 0 to 999. Temp keys carry no check
// characters (the guide fixes their format); Parse validates their time instead.
func TempKey(sys System, t time.Time, seq int) (Code, error) {
	pfx, ok := tempKeyPrefix(sys)
	if !ok {
		if !sys.IsValid() {
			return Code{}, fmt.Errorf("%w: %q", ErrUnknownSystem, truncate(string(sys)))
		}
		return Code{}, fmt.Errorf("keycode: %s has no temp keys (only %s and %s)", sys, SRMGC, SV9500)
	}
	t = t.UTC()
	if t.Year() < 2000 || t.Year() > 2099 {
		return Code{}, fmt.Errorf("keycode: temp key time %s: want a year from 2000 to 2099", t.Format(time.RFC3339))
	}
	if seq < 0 || seq > 999 {
		return Code{}, fmt.Errorf("keycode: temp key sequence %d: want 0 to 999", seq)
	}
	s := fmt.Sprintf("%s-%02d%02d%02d%02d%02d%02d-%03d-TEMP-KEY", pfx,
		t.Year()%100, int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), seq)
	c, ok := parseFast(sys.index(), s)
	if !ok || c.form != FormTempKey {
		return Code{}, parseError(sys.index(), s)
	}
	return c, nil
}

// TempKey returns the creation time (UTC) and sequence number of a temp key; ok is false when c is
// not a temp key. The LMC form of a temp key ("LM35-…-TEMP-KEY") is not itself a temp key; use PBX.
func (c Code) TempKey() (t time.Time, seq int, ok bool) {
	if c.form != FormTempKey {
		return time.Time{}, 0, false
	}
	s := c.s
	t = time.Date(2000+num(s[3:5]), time.Month(num(s[5:7])), num(s[7:9]),
		num(s[9:11]), num(s[11:13]), num(s[13:15]), 0, time.UTC)
	return t, num(s[16:19]), true
}

// num reads decimal digits already validated by the grammar.
func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// checkTempKeyTime validates the time of a temp key whose characters fit the grammar.
func checkTempKeyTime(s string) (int, string) {
	mo, d := num(s[5:7]), num(s[7:9])
	switch {
	case mo < 1 || mo > 12:
		return 5, "a month 01 to 12"
	case d < 1 || d > daysIn(2000+num(s[3:5]), mo):
		return 7, fmt.Sprintf("a day of the month 01 to %02d", daysIn(2000+num(s[3:5]), mo))
	case num(s[9:11]) > 23:
		return 9, "an hour 00 to 23"
	case num(s[11:13]) > 59:
		return 11, "a minute 00 to 59"
	case num(s[13:15]) > 59:
		return 13, "a second 00 to 59"
	}
	return -1, ""
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
