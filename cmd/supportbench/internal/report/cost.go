package report

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuTimes is the tool's own CPU use.
type cpuTimes struct {
	User, Sys time.Duration
	MaxRSS    int64 // bytes
}

func cpuNow() cpuTimes {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuTimes{}
	}
	return cpuTimes{
		User:   time.Duration(ru.Utime.Nano()),
		Sys:    time.Duration(ru.Stime.Nano()),
		MaxRSS: ru.Maxrss * 1024, // KiB on Linux
	}
}

// machineBusy reads the whole machine's busy CPU time from /proc/stat (Linux; 0
// elsewhere): with the targets on loopback, it shows what PostgreSQL, Redis and
// any other process took next to the tool and the server.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, x := range f[1:] {
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return 0
		}
		if i == 3 || i == 4 || i >= 8 { // idle, iowait; guest time is already in user
			continue
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}

func (c cpuTimes) sub(o cpuTimes) cpuTimes {
	return cpuTimes{User: c.User - o.User, Sys: c.Sys - o.Sys, MaxRSS: c.MaxRSS}
}
