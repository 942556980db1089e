package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreSection(t *testing.T) {
	for _, tc := range []struct {
		yaml, dsn, want string // want: "" valid, else part of the error
	}{
		{"", "", ""},
		{"store: {index: sqlite, blobs: dir}", "", ""},
		{"store: {index: postgres}", "postgres://u@h/db", ""},
		{"store: {index: postgres}", "", "OVERWATCH_PG_DSN"},
		{"store: {index: mysql}", "", `"mysql" is not sqlite or postgres`},
		{"store: {blobs: ftp}", "", `"ftp" is not dir`},
		{"store: {dsn: postgres://u:secret@h/db}", "", "field dsn not found"},
	} {
		c := Default()
		err := Parse([]byte(tc.yaml), &c)
		if err == nil {
			require.NoError(t, c.ApplyEnv(func(k string) string {
				if k == "OVERWATCH_PG_DSN" {
					return tc.dsn
				}
				return ""
			}))
			err = c.Validate()
		}
		if tc.want == "" {
			assert.NoError(t, err, tc.yaml)
			continue
		}
		require.Error(t, err, tc.yaml)
		assert.Contains(t, err.Error(), tc.want, tc.yaml)
	}
	c := Default()
	c.Store = Store{Index: "postgres", DSN: "postgres://u@h/db"}
	assert.Equal(t, "postgres://u@h/db", c.Store.IndexOption())
	c.Store.Index = "sqlite"
	assert.Equal(t, "", c.Store.IndexOption())
}

func TestStoreBlobs(t *testing.T) {
	keys := func(k string) string {
		switch k {
		case EnvS3Access:
			return "AK"
		case EnvS3Secret:
			return "SK"
		}
		return ""
	}
	for _, tc := range []struct {
		yaml string
		env  func(string) string
		want string // "" valid, else part of the error
	}{
		{"store: {blobs: 's3://s3.example:9000/dqm/overwatch/'}", keys, ""},
		{"store: {blobs: 's3+http://127.0.0.1:7070/dqm?region=eu'}", keys, ""},
		{"store: {blobs: 'root://eos.example//eos/exp/overwatch?user=dqm'}", nil, ""},
		{"store: {blobs: 's3://s3.example/dqm'}", nil, "OVERWATCH_S3_ACCESS_KEY"},
		{"store: {blobs: 's3://s3.example/Bad_Bucket'}", keys, "not an S3 bucket name"},
		{"store: {blobs: 's3://s3.example/dqm/prefix'}", keys, "must end with /"},
		{"store: {blobs: 's3://s3.example/dqm/a/../'}", keys, "must end with /"},
		{"store: {blobs: 's3://s3.example/dqm?acl=x'}", keys, `unknown parameter "acl"`},
		{"store: {blobs: 's3://user:pw@s3.example/dqm'}", keys, "is not dir"},
		{"store: {blobs: 'root://eos.example/relative'}", nil, "//absolute/path"},
		{"store: {blobs: 'root://eos.example//eos/../etc'}", nil, "no .."},
		{"store: {blobs: 'root://eos.example//eos?region=x'}", nil, "region is for s3"},
		{"store: {blobs: 'ftp://h/x'}", nil, "is not dir"},
	} {
		c := Default()
		require.NoError(t, Parse([]byte(tc.yaml), &c), tc.yaml)
		env := tc.env
		if env == nil {
			env = func(string) string { return "" }
		}
		require.NoError(t, c.ApplyEnv(env))
		err := c.Validate()
		if tc.want == "" {
			assert.NoError(t, err, tc.yaml)
			continue
		}
		require.Error(t, err, tc.yaml)
		assert.Contains(t, err.Error(), tc.want, tc.yaml)
	}
	b, err := ParseBlobs("s3+http://127.0.0.1:7070/dqm/site-a/?region=eu")
	require.NoError(t, err)
	assert.Equal(t, &TransferS3{Endpoint: "127.0.0.1:7070", Bucket: "dqm", Prefix: "site-a/", Region: "eu", Insecure: true}, b.S3)
	b, err = ParseBlobs("root://eos.example:1094//eos/exp/ow?user=dqm")
	require.NoError(t, err)
	assert.Equal(t, &TransferXRootD{Addr: "eos.example:1094", Root: "/eos/exp/ow", User: "dqm"}, b.XRootD)
	b, err = ParseBlobs("dir")
	require.NoError(t, err)
	assert.Nil(t, b.S3)
	assert.Nil(t, b.XRootD)
}
