package swa

import (
	"math"
	"math/bits"
	"time"
)

// Agreement dates are days: midnight UTC. An agreement covers its start day through its end day
// (the guide's "Expires 06/30/2014" is the last day covered).

// day returns the UTC day of t (midnight).
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// calendarDay is the date a caller's time names, read in the time's own zone, as a day (midnight
// UTC): a desired end month of 2017-05-01 00:00 in Amsterdam is May 2017, not the UTC instant's
// April 30.
func calendarDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// GraceEnd returns the last day of the grace period of a location whose licenses were first
// activated on first: the last day of the third month after the month of first ("Grace period:
// from first license activation to the end of the third following month"). 2014-12-15 gives
// 2015-03-31; 2013-03-26 gives 2013-06-30. The result is midnight UTC of that day.
func GraceEnd(first time.Time) time.Time {
	d := day(first)
	return time.Date(d.Year(), d.Month()+4, 0, 0, 0, 0, 0, time.UTC)
}

// ReinstatementUnits is the reinstatement fee of a location that was past grace, or whose agreement
// lapsed unrenewed, for lapsedMonths months: one month of the 12-month rate per lapsed month,
// rounded up once over the whole fee ("Reinstatement Fees are applicable: Months 3, SWA Units 17"
// for a 12-month rate of 66: 66 × 3 / 12 = 16.5 → 17). Zero or negative inputs give 0; the result
// never overflows (a fee past the largest int is the largest int).
func ReinstatementUnits(rate12, lapsedMonths int) int {
	if rate12 <= 0 || lapsedMonths <= 0 {
		return 0
	}
	// rate12 × lapsedMonths + 11 in 128 bits, then divided by 12: exact for any inputs, and a fee
	// beyond the largest int (no terms table comes near) is the largest int.
	hi, lo := bits.Mul64(uint64(rate12), uint64(lapsedMonths))
	lo, carry := bits.Add64(lo, 11, 0)
	hi += carry
	if hi >= 12 {
		return math.MaxInt
	}
	q, _ := bits.Div64(hi, lo, 12)
	if q > math.MaxInt {
		return math.MaxInt
	}
	return int(q)
}

// addMonths moves a day by months, keeping its day of the month where that month has it and the
// month's last day otherwise (2015-01-31 + 1 month = 2015-02-28).
func addMonths(d time.Time, months int) time.Time {
	d = d.UTC()
	first := time.Date(d.Year(), d.Month()+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	return time.Date(first.Year(), first.Month(), min(d.Day(), endOfMonth(first).Day()), 0, 0, 0, 0, time.UTC)
}

// termEnd is the last day of a term of months that starts on start: the day before the same day
// of the month months later, or, where that month is too short to have that day, its last day. A
// 12-month term from 2013-07-01 ends on 2014-06-30; from 2016-02-29 on 2017-02-28; 1 month from
// 2015-01-31 on 2015-02-28 (the next term starts on 2015-03-01). Terms end to end cover every day
// once.
func termEnd(start time.Time, months int) time.Time {
	same := addMonths(start, months)
	if same.Day() < start.UTC().Day() { // the month has no such day
		return same
	}
	return same.AddDate(0, 0, -1)
}

// monthsBegun counts the months begun from from through to: the k ≥ 1 whose k-th month starts on
// or before to (the first month starts on from, the (k+1)-th the day after a term of k months from
// from ends: [termEnd]); 0 when to is before from. It is the lapsed-month count of a reinstatement
// (lapse on 2015-04-01, quoted on 2015-06-30: 3) and the month count of a term that ends on to, so
// monthsBegun(start, termEnd(start, m)) is m.
func monthsBegun(from, to time.Time) int {
	from, to = from.UTC(), to.UTC()
	if to.Before(from) {
		return 0
	}
	n := (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month()) + 1
	for n > 1 && !termEnd(from, n-1).Before(to) { // the n-th month starts after to
		n--
	}
	return n
}

// endOfMonth is the last day of d's month.
func endOfMonth(d time.Time) time.Time {
	d = d.UTC()
	return time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC)
}

// fiveYears is the last day an agreement that starts on start may cover: no SWA agreement runs past
// 5 years from its start (a renewal starts the day it is made).
func fiveYears(start time.Time) time.Time { return termEnd(start, maxMonths) }
