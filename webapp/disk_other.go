//go:build !unix

package webapp

func diskUsage(string) DiskUsage {
	return DiskUsage{Error: "disk usage is not available on this platform"}
}
