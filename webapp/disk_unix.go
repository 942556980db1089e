//go:build unix

package webapp

import "syscall"

func diskUsage(dir string) DiskUsage {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return DiskUsage{Error: err.Error()}
	}
	bs := int64(fs.Bsize)
	total, free := int64(fs.Blocks)*bs, int64(fs.Bavail)*bs
	return DiskUsage{Total: total, Free: free, Used: total - int64(fs.Bfree)*bs}
}
