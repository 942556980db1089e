package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	require.NoError(t, c.Validate())
}

func TestLoadFileThenEnv(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "overwatch.yaml")
	require.NoError(t, os.WriteFile(p, []byte(`
data: /srv/ow
subsystems: [EMC, HLT]
hlt:
  receivers:
    - {subsystem: EMC, in: "REQ>tcp://127.0.0.1:60201", timeout: 10s}
dqm: {enabled: true, listen: "127.0.0.1:9000", maxSize: 2MiB}
notifications:
  smtp: {address: "smtp.example.org:587", from: "overwatch@example.org", username: ow}
trending:
  recipients: [shift@example.org]
  trends:
    EMC/maxFastORL0: {alarms: [{kind: BetweenValues, text: ERROR, params: {minVal: 0, maxVal: 10}}]}
`), 0o600))
	env := map[string]string{"OVERWATCH_WEB_LISTEN": "0.0.0.0:80", "OVERWATCH_SMTP_PASSWORD": "s3cret"}
	c, err := Load(p, func(k string) string { return env[k] })
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	assert.Equal(t, "/srv/ow", c.Data)
	assert.Equal(t, []string{"EMC", "HLT"}, c.Subsystems)
	assert.Equal(t, 10*time.Second, c.HLT.Receivers[0].Timeout)
	assert.Equal(t, Size(2<<20), c.DQM.MaxSize)
	assert.Equal(t, "0.0.0.0:80", c.Web.Listen)
	assert.Equal(t, "s3cret", c.Notifications.SMTP.Password)
	assert.Equal(t, 10.0, c.Trending.Trends["EMC/maxFastORL0"].Alarms[0].Params["maxVal"])
	assert.True(t, c.Processing.Enabled, "defaults survive a partial file")
}

func TestUnknownKeyIsAnError(t *testing.T) {
	var c Config
	err := Parse([]byte("dta: /tmp\n"), &c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dta")
}

func TestEmptyFileKeepsDefaults(t *testing.T) {
	c := Default()
	require.NoError(t, Parse(nil, &c))
	assert.Equal(t, "data", c.Data)
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Subsystems = []string{"emc", "HLT", "HLT"}
	c.Log.Level = "loud"
	c.Web.Listen = "nope"
	c.Processing.Mode = "sometimes"
	c.HLT.Receivers = []HLTReceiver{{Subsystem: "EMC", In: "tcp://x:1", Select: "("}}
	err := c.Validate()
	require.Error(t, err)
	for _, want := range []string{`"emc" is not a subsystem`, "HLT listed twice", `log.level: "loud"`, "web.listen", "processing.mode", "hlt.receivers[0].in", "hlt.receivers[0].select"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "2MB": 2e6, "256MiB": 256 << 20, "1GiB": 1 << 30, "3kB": 3000, "7B": 7} {
		got, err := ParseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "-1", "1TB", "abc", "99999999999999999999GiB"} {
		_, err := ParseSize(bad)
		assert.Error(t, err, bad)
	}
}

func TestSMTPPasswordEnvNeedsSMTP(t *testing.T) {
	c := Default()
	err := c.ApplyEnv(func(k string) string {
		if k == "OVERWATCH_SMTP_PASSWORD" {
			return "x"
		}
		return ""
	})
	require.Error(t, err)
}

func TestTransferRules(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string // want "" means valid
	}{
		{"none", "transfer: {}", ""},
		{"xrootd", "transfer: {destinations: [{name: EOS, xrootd: {addr: eos.example.org, root: /eos/x}}]}", ""},
		{"s3", "transfer: {destinations: [{name: s3-b, s3: {endpoint: s3.example.org, bucket: b, prefix: a/}}]}", ""},
		{"dqm", "transfer: {destinations: [{name: site_b, dqm: {url: \"https://o.example.org:8081\"}}]}", ""},
		{"no kind", "transfer: {destinations: [{name: a}]}", "exactly one of xrootd, s3 and dqm"},
		{"two kinds", "transfer: {destinations: [{name: a, dqm: {url: \"http://h\"}, s3: {endpoint: e, bucket: b}}]}", "exactly one of"},
		{"bad name", "transfer: {destinations: [{name: \"a/b\", dqm: {url: \"http://h\"}}]}", "not a destination name"},
		{"twice", "transfer: {destinations: [{name: a, dqm: {url: \"http://h\"}}, {name: a, dqm: {url: \"http://h\"}}]}", "used twice"},
		{"relative root", "transfer: {destinations: [{name: a, xrootd: {addr: h, root: eos}}]}", "absolute path"},
		{"dotdot root", "transfer: {destinations: [{name: a, xrootd: {addr: h, root: /eos/../etc}}]}", "absolute path without .."},
		{"no addr", "transfer: {destinations: [{name: a, xrootd: {root: /eos}}]}", "xrootd.addr: required"},
		{"no bucket", "transfer: {destinations: [{name: a, s3: {endpoint: e}}]}", "endpoint and bucket are required"},
		{"prefix", "transfer: {destinations: [{name: a, s3: {endpoint: e, bucket: b, prefix: x}}]}", "must end with /"},
		{"url", "transfer: {destinations: [{name: a, dqm: {url: \"h:1\"}}]}", "not an http(s) URL"},
		{"negative", "transfer: {retries: -1}", "must not be negative"},
		{"unknown key", "transfer: {destinations: [{name: a, ftp: {}}]}", "ftp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			err := Parse([]byte(tc.yaml), &c)
			if err == nil {
				err = c.Validate()
			}
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	assert.Equal(t, "OVERWATCH_TRANSFER_SITE_B_TOKEN", SecretEnv("site-b", "TOKEN"))
}
