package store

import (
	"strings"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §2.8 / §9.1 timestamp vectors, with and without a directory prefix.
func TestTimestampVectors(t *testing.T) {
	vectors := []struct {
		name string
		want int64
	}{
		{"hists.combined.1.1448388552.root", 1448388552},
		{"timeSlice.1448388310.1448388552.4bb7fb6d258fe195f50f6360b9ceabb653ba6cc4.root", 242},
		{"EMChistos_300005_C_2015_11_24_18_05_10.root", 1448384710},
		{"EMChists.2015_11_24_18_05_10.root", 1448384710},
	}
	for _, v := range vectors {
		for _, prefix := range []string{"", "data/Run123456/EMC/", "data/Run123456/EMC"} {
			p := v.name
			if prefix != "" {
				p = strings.TrimSuffix(prefix, "/") + "/" + v.name
			}
			t.Run(p, func(t *testing.T) {
				got, err := Timestamp(p)
				require.NoError(t, err)
				assert.Equal(t, v.want, got)
			})
		}
	}
}

// Original bug §10.1-11: the path is never interpreted, so dots,
// underscores and the words combined/timeSlice in directories are harmless.
func TestTimestampIgnoresDirectories(t *testing.T) {
	got, err := Timestamp("my.data_combined/timeSlice.dir/Run_1/EMChists.2015_11_24_18_05_10.root")
	require.NoError(t, err)
	assert.Equal(t, int64(1448384710), got)
}

func TestParseReceiverName(t *testing.T) {
	tests := []struct {
		name    string
		sys     string
		run     int
		mode    overwatch.HLTMode
		unix    int64
		seq     int
		wantErr bool
	}{
		{name: "EMChistos_123_C_2015_11_24_18_04_10.root", sys: "EMC", run: 123, mode: "C", unix: 1448384650},
		{name: "EMChistos_123456_B_2015_3_14_2_3_5.root", sys: "EMC", run: 123456, mode: "B",
			unix: time.Date(2015, 3, 14, 1, 3, 5, 0, time.UTC).Unix()},
		{name: "EMChistos_123456_DQM_1970_01_02_16_07_24.root", sys: "EMC", run: 123456, mode: "DQM",
			unix: time.Date(1970, 1, 2, 15, 7, 24, 0, time.UTC).Unix()},
		{name: "HLThistos_7_c_2015_11_24_18_09_12.2.root", sys: "HLT", run: 7, mode: "C", unix: 1448384952, seq: 2},
		{name: "V0histos_1_U_2020_1_1_0_0_0.root", sys: "V0", run: 1, mode: "U",
			unix: time.Date(2019, 12, 31, 23, 0, 0, 0, time.UTC).Unix()},
		{name: "EMChistos_123_C_2015_11_24_18_04_10.root.tmp", wantErr: true},
		{name: "EMChistos_123_C_2015_11_24_18_04.root", wantErr: true},
		{name: "EMChistos_123_X_2015_11_24_18_04_10.root", wantErr: true},
		{name: "EMChistos_0_C_2015_11_24_18_04_10.root", wantErr: true},
		{name: "EMChistos_-1_C_2015_11_24_18_04_10.root", wantErr: true},
		{name: "EMChistos_123_C_2015_11_24_18_04_100.root", wantErr: true},
		{name: "EMChistos_123_C_2015_13_24_18_04_10.root", wantErr: true},
		{name: "EMChistos_123_C_2015_2_30_18_04_10.root", wantErr: true},
		{name: "EMChistos_123_C_2015_11_24_24_04_10.root", wantErr: true},
		{name: "EMChistos_123_C_15_11_24_18_04_10.root", wantErr: true},
		{name: "EMChistos_123_C_2015_11_24_18_04_10.0.root", wantErr: true},
		{name: "xEMChistos_123_C_2015_11_24_18_04_10.root", wantErr: true},
		{name: "emchistos_123_C_2015_11_24_18_04_10.root", wantErr: true},
		// Subsystem by prefix, never by substring (§10.1-12).
		{name: "EMCTPChistos_123_C_2015_11_24_18_04_10.root", sys: "EMCTPC", run: 123, mode: "C", unix: 1448384650},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseReceiverName(tt.name)
			if tt.wantErr {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrBadName)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, KindReceiver, n.Kind)
			assert.Equal(t, tt.sys, n.Subsystem)
			assert.Equal(t, tt.run, n.Run)
			assert.Equal(t, tt.mode, n.Mode)
			assert.Equal(t, tt.unix, n.Time.Unix())
			assert.Equal(t, tt.seq, n.Seq)
		})
	}
}

func TestParseNameKinds(t *testing.T) {
	tests := []struct {
		name string
		kind NameKind
		err  bool
	}{
		{"EMChistos_1_C_2015_11_24_18_04_10.root", KindReceiver, false},
		{"EMChists.2015_11_24_18_04_10.root", KindMoved, false},
		{"EMChists.2015_11_24_18_4_1.3.root", KindMoved, false},
		{"hists.combined.3.1448388552.root", KindCombined, false},
		{"timeSlice.1.2.abc123.root", KindTimeSlice, false},
		{"hists.combined.0.1448388552.root", 0, true},
		{"hists.combined.1.1448388552.root.tmp", 0, true},
		{"timeSlice.5.2.abc.root", 0, true},
		{"timeSlice.1.2.a/b.root", 0, true},
		{"EMChists.2015_11_24_18_04_10.root.tmp", 0, true},
		{"EMChists.2015_11_24_18_04_10_UTC.root", 0, true},
		{"runInfo.yaml", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseName(tt.name)
			if tt.err {
				require.ErrorIs(t, err, ErrBadName)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.kind, n.Kind)
		})
	}
}

// Original bug §10.1-11: an explicit DST rule.
func TestWallTimeDST(t *testing.T) {
	utc := func(y, mo, d, h, mi int) int64 { return time.Date(y, time.Month(mo), d, h, mi, 0, 0, time.UTC).Unix() }
	tests := []struct {
		desc             string
		y, mo, d, h, min int
		want             int64
	}{
		{"winter", 2015, 11, 24, 18, 5, utc(2015, 11, 24, 17, 5)},
		{"summer", 2015, 7, 1, 12, 0, utc(2015, 7, 1, 10, 0)},
		{"before spring gap", 2015, 3, 29, 1, 59, utc(2015, 3, 29, 0, 59)},
		{"spring gap shifts forward", 2015, 3, 29, 2, 30, utc(2015, 3, 29, 1, 30)},
		{"after spring gap", 2015, 3, 29, 3, 0, utc(2015, 3, 29, 1, 0)},
		{"autumn ambiguous -> later (CET)", 2015, 10, 25, 2, 30, utc(2015, 10, 25, 1, 30)},
		{"before autumn hour", 2015, 10, 25, 1, 59, utc(2015, 10, 24, 23, 59)},
		{"after autumn hour", 2015, 10, 25, 3, 0, utc(2015, 10, 25, 2, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := WallTime(tt.y, tt.mo, tt.d, tt.h, tt.min, 0)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Unix())
		})
	}
}

// Every instant formats to a name that parses back to itself, including
// both occurrences of the repeated autumn hour.
func TestFormatParseTimeRoundTrip(t *testing.T) {
	start := time.Date(2015, 10, 24, 23, 0, 0, 0, time.UTC)
	for i := 0; i < 4*3600; i += 7 {
		tm := start.Add(time.Duration(i) * time.Second)
		for _, padded := range []bool{true, false} {
			s := FormatTime(tm, padded)
			got, err := ParseTime(s)
			require.NoError(t, err, s)
			require.Equal(t, tm.Unix(), got.Unix(), s)
		}
	}
	// The first occurrence carries the tag, the second none.
	assert.Equal(t, "2015_10_25_02_30_00_CEST", FormatTime(time.Date(2015, 10, 25, 0, 30, 0, 0, time.UTC), true))
	assert.Equal(t, "2015_10_25_02_30_00", FormatTime(time.Date(2015, 10, 25, 1, 30, 0, 0, time.UTC), true))
	_, err := ParseTime("2015_11_24_18_05_10_CEST")
	assert.ErrorIs(t, err, ErrBadName)
}

func TestFormatNames(t *testing.T) {
	tm := time.Unix(1448384710, 0)
	assert.Equal(t, "EMChists.2015_11_24_18_05_10.root", FormatMovedName("EMC", tm, 0))
	assert.Equal(t, "EMChists.2015_11_24_18_05_10.1.root", FormatMovedName("EMC", tm, 1))
	assert.Equal(t, "EMChistos_300005_B_2015_11_24_18_5_10.root", FormatReceiverName("EMC", 300005, "B", tm, 0, false))
	assert.Equal(t, "EMChistos_300005_DQM_2015_11_24_18_05_10.2.root", FormatReceiverName("EMC", 300005, "DQM", tm, 2, true))
	assert.Equal(t, "hists.combined.1.1448384710.root", FormatCombinedName(1, tm))
	assert.Equal(t, "timeSlice.1448384710.1448384952.ab12.root", FormatTimeSliceName(tm, time.Unix(1448384952, 0), "ab12"))
	n, err := ParseReceiverName(FormatReceiverName("TPC", 9, "E", tm, 3, false))
	require.NoError(t, err)
	assert.Equal(t, Name{Kind: KindReceiver, Subsystem: "TPC", Run: 9, Mode: "E", Time: n.Time, Seq: 3, TimeString: "2015_11_24_18_5_10"}, n)
	assert.Equal(t, tm.Unix(), n.Time.Unix())
}

func TestOutName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"TPCQA/h_tpc_event_recvertex_0", "TPCQA%2Fh_tpc_event_recvertex_0"},
		{"TPCQA_h_tpc_event_recvertex_0", "TPCQA_h_tpc_event_recvertex_0"},
		{"a b%c", "a%20b%25c"},
		{".hidden", "%2Ehidden"},
		{"..", "%2E."},
		{"x.y", "x.y"},
		{"", "%"},
		{"{EMCal}@α", "%7BEMCal%7D%40%CE%B1"},
	}
	for _, tt := range tests {
		got := OutName(tt.in)
		assert.Equal(t, tt.want, got, tt.in)
		back, err := ParseOutName(got)
		require.NoError(t, err)
		assert.Equal(t, tt.in, back)
	}
	// "a/b" and "a_b" no longer collide (original bug §10.1-6 family).
	assert.NotEqual(t, OutName("a/b"), OutName("a_b"))
	long := strings.Repeat("h/", 200)
	assert.LessOrEqual(t, len(OutName(long)), maxOutName)
	assert.NotEqual(t, OutName(long), OutName(long+"x"))
	for _, bad := range []string{"%2f", "%2", "%ZZ", "a%2Eb", "x~1"} {
		_, err := ParseOutName(bad)
		assert.Error(t, err, bad)
	}
}

func TestParseRunDir(t *testing.T) {
	for _, ok := range []struct {
		s string
		n int
	}{{"Run1", 1}, {"Run123456", 123456}} {
		n, err := ParseRunDir(ok.s)
		require.NoError(t, err)
		assert.Equal(t, ok.n, n)
	}
	for _, bad := range []string{"Run123_old", "MyRun1", "Run", "Run0", "Run01", "Run-1", "run1", "Run1 "} {
		_, err := ParseRunDir(bad)
		assert.ErrorIs(t, err, ErrBadName, bad)
	}
}

// FuzzParseName: outside bytes (drop-folder names) never panic, and what
// parses formats back to an equivalent name.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{
		"EMChistos_300005_C_2015_11_24_18_05_10.root", "EMChistos_123456_B_2015_3_14_2_3_5.1.root",
		"EMChists.2015_11_24_18_05_10.root", "EMChists.2015_10_25_02_30_00_CEST.root",
		"hists.combined.1.1448388552.root", "timeSlice.1448388310.1448388552.4bb7.root",
		"x.root.tmp", "", "histos_", "Ahistos_1_C_9999_99_99_99_99_99.root",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			return
		}
		switch n.Kind {
		case KindReceiver:
			m, err := ParseReceiverName(FormatReceiverName(n.Subsystem, n.Run, n.Mode, n.Time, n.Seq, true))
			require.NoError(t, err)
			require.Equal(t, n.Time.Unix(), m.Time.Unix())
			require.Equal(t, n.Run, m.Run)
			require.Equal(t, n.Seq, m.Seq)
		case KindMoved:
			m, err := ParseMovedName(FormatMovedName(n.Subsystem, n.Time, n.Seq))
			require.NoError(t, err)
			require.Equal(t, n.Time.Unix(), m.Time.Unix())
			require.Equal(t, n.Seq, m.Seq)
		case KindCombined, KindTimeSlice:
			require.True(t, strings.HasSuffix(s, ".root"))
		default:
			t.Fatalf("unknown kind %v", n.Kind)
		}
	})
}

// FuzzOutName: the encoding is injective (round-trips) and file-system safe.
func FuzzOutName(f *testing.F) {
	for _, s := range []string{"TPCQA/h_tpc", "a_b", "a/b", "", ".", "..", "%", "~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o := OutName(s)
		require.NotEmpty(t, o)
		require.LessOrEqual(t, len(o), maxOutName)
		require.False(t, strings.ContainsAny(o, "/\\\x00"))
		require.NotEqual(t, ".", o)
		require.NotEqual(t, "..", o)
		require.False(t, strings.HasPrefix(o, "."))
		if !strings.Contains(o, "~") {
			back, err := ParseOutName(o)
			require.NoError(t, err)
			require.Equal(t, s, back)
		}
	})
}
