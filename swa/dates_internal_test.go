package swa

import (
	"testing"
	"time"
)

// Terms of whole months laid end to end cover every day once, and monthsBegun counts them back,
// from every day of eight years (leap days and month ends included).
func TestTermsCoverEveryDayOnce(t *testing.T) {
	for start := time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC); start.Year() < 2020; start = start.AddDate(0, 0, 1) {
		prev := start.AddDate(0, 0, -1)
		for m := 1; m <= maxMonths; m++ {
			end := termEnd(start, m)
			if !end.After(prev) || end.Sub(prev) > 31*24*time.Hour {
				t.Fatalf("term of %d months from %s ends %s, after %s", m, start.Format("2006-01-02"), end.Format("2006-01-02"), prev.Format("2006-01-02"))
			}
			if got := monthsBegun(start, end); got != m {
				t.Fatalf("monthsBegun(%s, %s) = %d, want %d", start.Format("2006-01-02"), end.Format("2006-01-02"), got, m)
			}
			if got := monthsBegun(start, end.AddDate(0, 0, 1)); got != m+1 {
				t.Fatalf("monthsBegun(%s, %s) = %d, want %d", start.Format("2006-01-02"), end.AddDate(0, 0, 1).Format("2006-01-02"), got, m+1)
			}
			prev = end
		}
		if e := termEnd(start, 12); e.Year() != start.Year()+1 && !(start.Month() == 1 && start.Day() == 1) {
			t.Fatalf("12 months from %s end %s", start.Format("2006-01-02"), e.Format("2006-01-02"))
		}
	}
	for _, c := range []struct {
		start  time.Time
		months int
		want   time.Time
		why    string
	}{
		{time.Date(2013, 7, 1, 0, 0, 0, 0, time.UTC), 12, time.Date(2014, 6, 30, 0, 0, 0, 0, time.UTC), "the guide's SV8300 agreement"},
		{time.Date(2016, 2, 29, 0, 0, 0, 0, time.UTC), 12, time.Date(2017, 2, 28, 0, 0, 0, 0, time.UTC), "a leap day"},
		{time.Date(2015, 1, 31, 0, 0, 0, 0, time.UTC), 1, time.Date(2015, 2, 28, 0, 0, 0, 0, time.UTC), "January 31 + 1 month"},
		{time.Date(2015, 1, 30, 0, 0, 0, 0, time.UTC), 1, time.Date(2015, 2, 28, 0, 0, 0, 0, time.UTC), "January 30 + 1 month"},
		{time.Date(2016, 1, 29, 0, 0, 0, 0, time.UTC), 1, time.Date(2016, 2, 28, 0, 0, 0, 0, time.UTC), "January 29 + 1 month in a leap year"},
		{time.Date(2015, 6, 30, 0, 0, 0, 0, time.UTC), 60, time.Date(2020, 6, 29, 0, 0, 0, 0, time.UTC), "the guide's reinstated 60 months"},
	} {
		if got := termEnd(c.start, c.months); !got.Equal(c.want) {
			t.Errorf("termEnd(%s, %d) = %s, want %s (%s)", c.start.Format("2006-01-02"), c.months, got.Format("2006-01-02"), c.want.Format("2006-01-02"), c.why)
		}
	}
}

// FuzzTermEnd: for any start day and term, the term ends after it starts, within the month the
// term names, and monthsBegun counts it back.
func FuzzTermEnd(f *testing.F) {
	f.Add(int64(15_706), 12)  // 2013-01-01
	f.Add(int64(16_860), 12)  // 2016-02-29
	f.Add(int64(16_466), 1)   // 2015-01-31
	f.Add(int64(-719_162), 3) // 0001-01-01
	f.Fuzz(func(t *testing.T, days int64, months int) {
		if days < -1_000_000 || days > 30_000_000 || months < 1 || months > 1200 {
			t.Skip()
		}
		start := time.Unix(days*86400, 0).UTC()
		end := termEnd(start, months)
		if !end.After(start.AddDate(0, 0, -1)) || end.Hour() != 0 {
			t.Fatalf("termEnd(%s, %d) = %s", start.Format("2006-01-02"), months, end.Format("2006-01-02"))
		}
		want := time.Date(start.Year(), start.Month()+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
		inWant := func(d time.Time) bool { return d.Year() == want.Year() && d.Month() == want.Month() }
		if !inWant(end) && !inWant(end.AddDate(0, 0, 1)) {
			t.Fatalf("termEnd(%s, %d) = %s: not in or just before %s", start.Format("2006-01-02"), months, end.Format("2006-01-02"), want.Format("2006-01"))
		}
		if got := monthsBegun(start, end); got != months {
			t.Fatalf("monthsBegun(%s, %s) = %d, want %d", start.Format("2006-01-02"), end.Format("2006-01-02"), got, months)
		}
		if got := monthsBegun(start, end.AddDate(0, 0, 1)); got != months+1 {
			t.Fatalf("monthsBegun(%s, day after %s) = %d, want %d", start.Format("2006-01-02"), end.Format("2006-01-02"), got, months+1)
		}
	})
}
