package quality_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// TestTimeFlags checks the O2 rules for time-based flags with exact
// timestamps: a run from 10:00:00 to 11:00:00.
func TestTimeFlags(t *testing.T) {
	at := func(hms string) time.Time {
		ts, err := time.Parse("2006-01-02 15:04:05.999", "2026-12-02 "+hms)
		if err != nil {
			panic(err)
		}
		return ts
	}
	start, end := at("10:00:00"), at("11:00:00")
	G, M, B, N := ow.QualityGood, ow.QualityMedium, ow.QualityBad, ow.QualityNull
	v := func(from, to string, q ow.Quality, reason string) quality.Verdict {
		return quality.Verdict{Start: at(from), End: at(to), Quality: q, Reason: reason}
	}
	type F struct {
		from, to string
		unknown  bool
		q        ow.Quality
		reasons  []string
	}
	for _, tc := range []struct {
		name string
		in   []quality.Verdict
		want []F
	}{
		{"nothing: all unknown", nil, []F{{"10:00:00", "11:00:00", true, N, nil}}},
		{"uncovered stretches are unknown", []quality.Verdict{v("10:10:00", "10:20:00", G, "ok")},
			[]F{{"10:00:00", "10:10:00", true, N, nil}, {"10:10:00", "10:20:00", false, G, []string{"ok"}}, {"10:20:00", "11:00:00", true, N, nil}}},
		{"adjacent equal flags merge", []quality.Verdict{v("10:00:00", "10:30:00", G, "a"), v("10:30:00", "11:00:00", G, "b")},
			[]F{{"10:00:00", "11:00:00", false, G, []string{"a", "b"}}}},
		{"equal flags with a gap do not merge", []quality.Verdict{v("10:00:00", "10:20:00", B, "x"), v("10:40:00", "11:00:00", B, "x")},
			[]F{{"10:00:00", "10:20:00", false, B, []string{"x"}}, {"10:20:00", "10:40:00", true, N, nil}, {"10:40:00", "11:00:00", false, B, []string{"x"}}}},
		{"bad wins where verdicts overlap", []quality.Verdict{v("10:00:00", "11:00:00", G, "fine"), v("10:15:00", "10:25:00", B, "dead region"), v("10:20:00", "10:40:00", M, "noisy")},
			[]F{{"10:00:00", "10:15:00", false, G, []string{"fine"}}, {"10:15:00", "10:25:00", false, B, []string{"dead region"}},
				{"10:25:00", "10:40:00", false, M, []string{"noisy"}}, {"10:40:00", "11:00:00", false, G, []string{"fine"}}}},
		{"null is replaced by a real verdict", []quality.Verdict{v("10:00:00", "10:30:00", N, "no reference"), v("10:10:00", "10:30:00", G, "ok")},
			[]F{{"10:00:00", "10:10:00", false, N, []string{"no reference"}}, {"10:10:00", "10:30:00", false, G, []string{"ok"}}, {"10:30:00", "11:00:00", true, N, nil}}},
		{"null arriving after a verdict changes nothing", []quality.Verdict{v("10:00:00", "11:00:00", B, "bad"), v("10:00:00", "11:00:00", N, "late null")},
			[]F{{"10:00:00", "11:00:00", false, B, []string{"bad"}}}},
		{"good and bad coexist", []quality.Verdict{v("10:00:00", "10:30:00", G, ""), v("10:30:00", "11:00:00", B, "")},
			[]F{{"10:00:00", "10:30:00", false, G, nil}, {"10:30:00", "11:00:00", false, B, nil}}},
		{"clipped to the run, empty and inverted ignored", []quality.Verdict{v("09:00:00", "10:05:00", M, "early"), v("10:50:00", "12:00:00", G, "late"),
			v("10:20:00", "10:20:00", B, "empty"), v("10:40:00", "10:30:00", B, "inverted")},
			[]F{{"10:00:00", "10:05:00", false, M, []string{"early"}}, {"10:05:00", "10:50:00", true, N, nil}, {"10:50:00", "11:00:00", false, G, []string{"late"}}}},
		{"sub-second stretches", []quality.Verdict{v("10:00:00", "10:00:01.5", B, ""), v("10:00:01", "11:00:00", G, "")},
			[]F{{"10:00:00", "10:00:01.5", false, B, nil}, {"10:00:01.5", "11:00:00", false, G, nil}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := quality.TimeFlags(start, end, tc.in)
			var want []quality.Flag
			for _, f := range tc.want {
				want = append(want, quality.Flag{Start: at(f.from), End: at(f.to), Unknown: f.unknown, Quality: f.q, Reasons: f.reasons})
			}
			assert.Equal(t, want, got)
		})
	}
	assert.Nil(t, quality.TimeFlags(end, start, nil))
	assert.Nil(t, quality.TimeFlags(start, start, nil))
}

func TestBadStreak(t *testing.T) {
	G, B, N := ow.QualityGood, ow.QualityBad, ow.QualityNull
	assert.Equal(t, 0, quality.BadStreak(nil))
	assert.Equal(t, 0, quality.BadStreak([]ow.Quality{B, G}))
	assert.Equal(t, 3, quality.BadStreak([]ow.Quality{G, B, B, N, B}))
	assert.Equal(t, 2, quality.BadStreak([]ow.Quality{B, B}))
}
