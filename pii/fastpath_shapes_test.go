package pii

import (
	"math/rand"
	"strings"
	"testing"
)

// realLogShapes are words of the shapes that run's letter fast paths take
// or leave to word (letterShapeOK, underShapeOK, the short letter-digit
// words, the hex-only words), and words one step from each condition:
// every token shape they must leave to word, in upper, lower and mixed
// case, short and long.
var realLogShapes = []string{
	// Real-log shapes.
	"Dec", "C", "D", "CA", "B", "Feb", "Linux", "HTTPS", "ALERT", "Errno", "On", "IQ", "QQ", "ON", "OK", "MB", "ID",
	"QuorumCnxManager", "MTActuatorManagement", "NIOServerCnxnFactory", "GoogleSoftwareUpdate", "NSURLErrorDomain",
	"R02", "M1", "U11", "L1", "D8", "J12", "IRQ0", "a1", "b2c", "Ab1",
	"Step_LSC", "Thunderbird_A8", "Package_for_KB3121255", "CBS_E_MANIFEST_INVALID_ITEM", "SCREEN_ON", "REAL_GET_TASKS",
	"DFSClient_NONMAPREDUCE_1537864556_1", "AirPort_Brcm43xx", "blk_7128370237687728475", "jk2_init", "x86_64",
	"attempt_1445144423722_0020_m_000000_0", "rdd_11_0", "_task_200811092030_0001_m_000590_0", "_x", "__",
	"added", "a", "be", "bddd", "fecd", "cafe", "beef", "f7b8d1f1d4d44643b07fa10ca7d021fb",
	"héllo", "\xc3\xa9t\xc3\xa9", "Ünïcode",
	// Token shapes next to them.
	"SKabcdefabcdefabcdefabcdefabcdefab", "SKABCDEFABCDEFABCDEFABCDEFABCDEFAB", "SKabcdefabcdefabcdefabcdefabcdefa",
	"SK0123456789abcdef0123456789abcdef", "BEGIN", "BEGIM", "AKIAABCDEFGHIJKLMNOP", "AKIAabcdefghijklmnop",
	"ASIAQWERTYUIOPASDFGH", "AKIAQWERTYUIOP123456", "RSSMRAMLPTMLPLMN", "RSSMRALNPTMLPLMV", "RsSMRALNPTMLPLMV",
	"RSSMRA85T10A562S", "AIzaSyAbcdefghijklmnopqrstuvwxyz0123456", "AIza_bcdefghijklmnopqrstuvwxyz012345678", "AIzaSyAbcdefghijklmnopqrstuvwxyz0123456_",
	"eyJhbGciOiJub25lIiwieCI6Ij8_PyJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc_def-ghi", "eyJhbGciOiJub25lIiwieCI6Ij8_PyJ9",
	"AIzaSy", "Alpha", "AIzaSyAbcdefghijklmnopqrstuvwxyzABCDEF", "AIzaSyAbc-defghijklmnopqrstuvwxyzABCDEF", "eyJhbGciOiJhYWEifQ.eyJhbGciOiJhYWEifQ.abcdef", "eyJhbGciOiJIUzI1NiJ9", "eyJ_x", "eyJ", "eyj", "eXJ",
	"AB", "QQ", "Qq", "qQ", "GB82WEST12345698765432", "GB82_EST12345698765432", "GB82", "GB8", "Gb82_x",
	"abc8Q", "a_c8Q", "AB_8Q", "ab_8q", "X1234567L", "X_234567L", "AB123456C", "AB_23456C", "SCREEN_ON",
	"sk_live_abcdefghijklmnopqrstuv", "sk_live_abcdefghijklmnop", "sk_live_abcdefghijklmno", "sk_live_0123456789abcdef", "sk_live_0123456789abcde",
	"hf_0123456789abcdefghijklmnopqrstuvwxy", "whsec_0123456789abcdefghijklmnop", "GB82_EST1234569876543", "GB82WEST1234569876543_", "rk_live_0123456789abcdef01",
	"Sk_live_abcdefghijklmnopqrstuv", "SK_LIVE_ABCDEFGHIJKLMNOP", "whsec_0123456789abcdefghijklmnopqr", "Whsec_0123456789abcdefghijklmnopq",
	"hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", "hf_abcdefghijklmnopqrstuvwxyzabcdefgh", "shpat_0123456789abcdef0123456789abcdef",
	"ghp_0123456789abcdefghijklmnopqrstuvwxyz", "ghp_0123456789abcdefghijklmnopqrstuvwxy", "github_pat_0123456789abcdefghijklmnopqrstu",
	"npm_0123456789abcdefghijklmnopqrstuvwxyz", "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"ya29", "Ya29", "YA29", "api_key", "API_KEY", "Api_Key", "client_secret", "CLIENT_SECRET", "access_token", "Password",
	"PASSWORD", "Bearer", "BEARER", "Token", "TOKEN", "Secret", "Https", "HTTP", "Mailto",
}

// realLogContexts are the bytes around a word that run's letter fast
// paths and token look at: a ':' (IPv6 group) after it or "::" before
// it, the "-----" of a PEM header, a space and a digit after two
// capitals (grouped NINO), "~" and a secret after an Azure prefix, '.'
// and a token after "ya29", '=' and ':' before values (keywords), '['
// before (a redaction tag), a capital's glue.
var realLogContexts = [][2]string{
	{"", ""}, {"x ", " y"}, {"", ":"}, {"", ":1"}, {"", "::1"}, {"", "::"}, {"", ":: x"}, {"::", ":1 "}, {"0::", ""}, {"fe80::", ""}, {"1:2:3:4:5:6:7:", " x"}, {"::", ""}, {"a::", " b"}, {"1:", ":2"}, {"-----", "-----"},
	{"", " 12 34 56 C"}, {"", " 1"}, {"", "~abcdefghijklmnopqrstuvwxyz0123456"}, {"", ".abcdefghijklmnopqrstuvwxyz0123456789"},
	{"", "=hunter22 x"}, {"", ": hunter22"}, {"[", "]"}, {"", "://u:p@h.io/x"}, {"", " Smith"}, {"Mr ", "'s"},
	{"/", "/"}, {"", "-x"}, {"\n", "\n"}, {"", "@example.com"},
}

// TestFastPathsRealLogShapes compares run with runSlow on every word of
// realLogShapes in every context of realLogContexts, as it is and in
// lower and upper case, at the start of the text and behind padding that
// moves it to every offset of a 16-byte window and across a 64-byte block.
func TestFastPathsRealLogShapes(t *testing.T) {
	es := fastPathEngines(t)
	for _, w := range realLogShapes {
		for _, v := range []string{w, strings.ToLower(w), asciiUpper(w)} {
			for _, c := range realLogContexts {
				s := c[0] + v + c[1]
				compareFastSlow(t, es, []byte(s), nil)
				for pad := 1; pad < 18; pad += 3 {
					compareFastSlow(t, es, []byte(strings.Repeat("z", pad)+" "+s), nil)
				}
				compareFastSlow(t, es, []byte(strings.Repeat("ab ", 20)+s), nil)
			}
		}
	}
}

// realLogFuzzSeeds are lines of the real log samples, one or two of each
// system, for FuzzFastPaths.
var realLogFuzzSeeds = []string{
	`2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core: C:\Windows\winsxs\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_6.1.7601.23505_none_681aa442f6fed7f0\cbscore.dll`,
	`2016-09-28 04:30:31, Info                  CSI    00000001@2016/9/27:20:30:31.455 WcpInitialize (wcp.dll version 0.0.0.6) called (stack @0x7fed806eb5d @0x7fef9fb9b6d)`,
	`2016-09-29 00:00:44, Error                 CBS    Failed to get next package to re-evaluate [HRESULT = 0x800f080d - CBS_E_MANIFEST_INVALID_ITEM]`,
	`Jul  1 09:00:55 calvisitor-10-105-160-95 kernel[0]: IOThunderboltSwitch<0>(0x0)::listenerCallback - Thunderbolt HPD packet for route = 0x0 port = 11 unplug = 0`,
	`Jul  1 09:01:05 calvisitor-10-105-160-95 com.apple.CDScheduler[43]: Thermal pressure state: 1 Memory pressure state: 0`,
	`03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken = AppWindowToken{9f4ef63 token=Token{a64f992 ActivityRecord{de9231d u0 com.tencent.qt.qtl/.activity.info.NewsDetailXmlActivity t761}}}, allDrawn= false, startingDisplayed =  false, startingMoved =  false, isRelaunching =  false`,
	`nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829`,
	`17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]`,
	`2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001`,
	`081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating`,
	`081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864`,
	`- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected`,
	`2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200`,
	`20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579`,
	`[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6`,
	`Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4`,
	`[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS`,
	`- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root`,
	`Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!`,
	`134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component \042alt0\042 is in the unavailable state (HWID=5220)`,
}

// TestFastPathsIPv6Letters compares run with runSlow on random strings of
// hex-digit words, letters, digits and colons: run's letter fast paths
// must leave a word of hex letters next to a ':' to word (the IPv6
// attempt), as word would ("::C:1", "0::f").
func TestFastPathsIPv6Letters(t *testing.T) {
	es := fastPathEngines(t)
	r := rand.New(rand.NewSource(16))
	alpha := []string{"C", "a", "f", "1", ":", ":", "::", " ", "x", ".", "CAFE", "dead", "0", "12", "Dec", "G"}
	n := 100000
	if testing.Short() {
		n = 10000
	}
	for ; n > 0; n-- {
		var b []byte
		for k := r.Intn(12) + 1; k > 0; k-- {
			b = append(b, alpha[r.Intn(len(alpha))]...)
		}
		compareFastSlow(t, es, b, nil)
	}
}
