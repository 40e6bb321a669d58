using static Hive.Core.Tests.Egress.EgressDsl;

namespace Hive.Core.Tests.Egress;

/// <summary>
/// The decision table: <c>rules | request | expected</c> per line (notation in <see cref="EgressDsl"/>).
/// </summary>
public class EgressPolicyTableTests
{
    private const string Hosts = """
        # exact names: case, one trailing dot, nothing else
        allow api.github.com | HTTP GET api.github.com:443 | allow 0
        allow api.github.com | HTTP GET API.GitHub.COM:443 | allow 0
        allow api.github.com | HTTP GET api.github.com.:443 | allow 0
        allow API.GITHUB.COM. | HTTP GET api.github.com:443 | allow 0
        allow api.github.com | HTTP GET api.github.com..:443 | deny
        allow api.github.com | HTTP GET github.com:443 | deny
        allow api.github.com | HTTP GET x.api.github.com:443 | deny
        allow api.github.com | HTTP GET api.github.com.evil.test:443 | deny
        allow api.github.com | HTTP GET apixgithub.com:443 | deny
        allow api.github.com | HTTP GET api-github.com:443 | deny
        allow api.github.com | HTTP GET api.github.co:443 | deny
        allow api.github.com | HTTP GET api.github.comm:443 | deny
        allow api.github.com | HTTP GET aapi.github.com:443 | deny
        allow api.github.com | TLS api.github.com:443 | allow 0
        allow api.github.com | TCP api.github.com:22 | allow 0
        allow api.github.com | TCP API.GITHUB.COM.:22 | allow 0
        allow api.github.com | TLS evil.test:443 | deny
        allow localhost | HTTP GET localhost:80 | allow 0
        allow localhost | HTTP GET 127.0.0.1:80 | deny
        allow _dmarc.example.com | TCP _DMARC.example.com:53 | allow 0
        # *.domain: the apex and every depth below, nothing beside
        allow *.example.com | HTTP GET example.com:443 | allow 0
        allow *.example.com | HTTP GET a.example.com:443 | allow 0
        allow *.example.com | HTTP GET a.b.c.d.example.com:443 | allow 0
        allow *.example.com | HTTP GET EXAMPLE.COM.:443 | allow 0
        allow *.example.com | HTTP GET Deep.Sub.Example.Com:443 | allow 0
        allow *.example.com | HTTP GET evilexample.com:443 | deny
        allow *.example.com | HTTP GET xexample.com:443 | deny
        allow *.example.com | HTTP GET example.com.evil.test:443 | deny
        allow *.example.com | HTTP GET a.example.com.evil.test:443 | deny
        allow *.example.com | HTTP GET example.co:443 | deny
        allow *.example.com | HTTP GET example.org:443 | deny
        allow *.example.com | HTTP GET com:443 | deny
        allow *.example.com | HTTP GET example-com:443 | deny
        allow *.example.com | HTTP GET a.example.co.m:443 | deny
        allow *.example.com | TLS x.example.com:443 | allow 0
        allow *.example.com | TCP x.example.com:5432 | allow 0
        allow *.com | HTTP GET a.com:443 | allow 0
        allow *.com | HTTP GET com:443 | allow 0
        allow *.com | HTTP GET a.b.com:443 | allow 0
        allow *.com | HTTP GET evilcom:443 | deny
        allow *.com | HTTP GET a.com.evil:443 | deny
        allow *.com | HTTP GET a.co:443 | deny
        allow *.Example.COM. | HTTP GET a.example.com:443 | allow 0
        # IDNs compare in punycode
        allow bücher.example | HTTP GET xn--bcher-kva.example:443 | allow 0
        allow bücher.example | HTTP GET BÜCHER.example:443 | allow 0
        allow bücher.example | HTTP GET bücher.example.:443 | allow 0
        allow bücher.example | HTTP GET XN--BCHER-KVA.EXAMPLE:443 | allow 0
        allow bücher.example | HTTP GET bucher.example:443 | deny
        allow xn--bcher-kva.example | HTTP GET bücher.example:443 | allow 0
        allow *.bücher.example | HTTP GET shop.bücher.example:443 | allow 0
        allow *.bücher.example | HTTP GET shop.xn--bcher-kva.example:443 | allow 0
        allow *.bücher.example | HTTP GET shop.bucher.example:443 | deny
        allow 例え.テスト | HTTP GET xn--r8jz45g.xn--zckzah:443 | allow 0
        # * matches every valid destination, names and addresses
        allow * | HTTP GET anything.test:443 | allow 0
        allow * | HTTP GET 8.8.8.8:443 | allow 0
        allow * | HTTP GET [2001:db8::1]:443 | allow 0
        allow * | TCP 10.0.0.1:22 | allow 0
        allow * | TLS a.b:443 | allow 0
        # invalid hosts are denied whatever the rules say
        allow * | HTTP GET exa$mple.com:443 | deny
        allow * | HTTP GET a..b:443 | deny
        allow * | HTTP GET -a.com:443 | deny
        allow * | HTTP GET a-.com:443 | deny
        allow * | HTTP GET .example.com:443 | deny
        allow * | HTTP GET 1.2.3.4.5:443 | deny
        allow * | HTTP GET 256.1.1.1:443 | deny
        allow * | HTTP GET 1.2.3.256:443 | deny
        allow * | HTTP GET 08.1.1.1:443 | deny
        allow * | HTTP GET 4294967296:443 | deny
        allow * | HTTP GET example.0x10:443 | deny
        allow * | HTTP GET example.123:443 | deny
        allow * | HTTP GET *.example.com:443 | deny
        allow * | HTTP GET *:443 | deny
        allow * | TCP [::1:443 | deny
        allow * | TCP [fe80::1%eth0]:443 | deny
        allow * | TCP [::g]:443 | deny
        allow *.example.com | TLS x.example.com/evil:443 | deny
        """;

    private const string Addresses = """
        # an IPv4 rule decides every spelling of its address
        allow 127.0.0.1 | HTTP GET 127.0.0.1:80 | allow 0
        allow 127.0.0.1 | HTTP GET 127.1:80 | allow 0
        allow 127.0.0.1 | HTTP GET 127.0.1:80 | allow 0
        allow 127.0.0.1 | HTTP GET 0x7f.1:80 | allow 0
        allow 127.0.0.1 | HTTP GET 0X7F.0.0.1:80 | allow 0
        allow 127.0.0.1 | HTTP GET 0x7F.0x0.0x0.0x1:80 | allow 0
        allow 127.0.0.1 | HTTP GET 0177.0.0.1:80 | allow 0
        allow 127.0.0.1 | HTTP GET 0177.0.0.01:80 | allow 0
        allow 127.0.0.1 | HTTP GET 00000177.0.0.1:80 | allow 0
        allow 127.0.0.1 | HTTP GET 2130706433:80 | allow 0
        allow 127.0.0.1 | HTTP GET 017700000001:80 | allow 0
        allow 127.0.0.1 | HTTP GET 0x7f000001:80 | allow 0
        allow 127.0.0.1 | HTTP GET 0x7F000001:80 | allow 0
        allow 127.0.0.1 | HTTP GET 127.0.0.1.:80 | allow 0
        allow 127.0.0.1 | HTTP GET [::ffff:127.0.0.1]:80 | allow 0
        allow 127.0.0.1 | HTTP GET [::ffff:7f00:1]:80 | allow 0
        allow 127.0.0.1 | HTTP GET [::FFFF:7F00:0001]:80 | allow 0
        allow 127.0.0.1 | HTTP GET [0:0:0:0:0:ffff:127.0.0.1]:80 | allow 0
        allow 127.0.0.1 | TCP 127.1:5432 | allow 0
        allow 127.0.0.1 | TLS 0x7f.1:443 | allow 0
        allow 127.0.0.1 | HTTP GET 127.0.0.2:80 | deny
        allow 127.0.0.1 | HTTP GET 127.2:80 | deny
        allow 127.0.0.1 | HTTP GET [::1]:80 | deny
        allow 127.0.0.1 | HTTP GET [::7f00:1]:80 | deny
        allow 127.0.0.1 | HTTP GET [64:ff9b::7f00:1]:80 | deny
        allow 127.0.0.1 | HTTP GET localhost:80 | deny
        # a deny on an address holds in every spelling too
        deny 127.0.0.1; allow * | HTTP GET 2130706433:80 | deny 0
        deny 127.0.0.1; allow * | HTTP GET 0x7f.1:80 | deny 0
        deny 127.0.0.1; allow * | HTTP GET [::ffff:7f00:1]:80 | deny 0
        deny 127.0.0.1; allow * | TCP 0177.1:22 | deny 0
        deny 127.0.0.1; allow * | HTTP GET 127.0.0.2:80 | allow 1
        deny 169.254.169.254; allow * | HTTP GET 0xa9.0xfe.0xa9.0xfe:80 | deny 0
        deny 169.254.169.254; allow * | HTTP GET 2852039166:80 | deny 0
        deny 169.254.169.254; allow * | HTTP GET 0251.0376.0251.0376:80 | deny 0
        deny 169.254.169.254; allow * | HTTP GET 169.254.43518:80 | deny 0
        deny 169.254.169.254; allow * | HTTP GET [::ffff:a9fe:a9fe]:80 | deny 0
        # a rule whose host HostPattern keeps as a name but that spells an address is an address rule
        allow 0x7f000001 | HTTP GET 127.0.0.1:80 | allow 0
        allow 0x7f000001 | HTTP GET 127.1:80 | allow 0
        deny 0x7f000001; allow * | HTTP GET 127.0.0.1:80 | deny 0
        # CIDRs
        allow 10.1.0.0/16 | TCP 10.1.2.3:22 | allow 0
        allow 10.1.0.0/16 | TCP 10.1.0.0:22 | allow 0
        allow 10.1.0.0/16 | TCP 10.1.255.255:22 | allow 0
        allow 10.1.0.0/16 | TCP 10.2.0.1:22 | deny
        allow 10.1.0.0/16 | TCP 10.0.255.255:22 | deny
        allow 10.1.0.0/16 | TCP [::ffff:10.1.2.3]:22 | allow 0
        allow 10.1.0.0/16 | TCP 012.1.2.3:22 | allow 0
        allow 10.1.0.0/16 | TCP 0xa.1.2.3:22 | allow 0
        allow 10.1.0.0/16 | TCP 167838211:22 | allow 0
        allow 10.1.0.0/16 | TCP 10.66051:22 | allow 0
        allow 10.1.0.0/16 | TCP 10.131587:22 | deny
        allow 10.1.0.0/16 | TCP 10.1.515:22 | allow 0
        allow 10.1.2.3/16 | TCP 10.1.9.9:22 | allow 0
        allow 0.0.0.0/0 | TCP 1.2.3.4:22 | allow 0
        allow 0.0.0.0/0 | TCP [::ffff:1.2.3.4]:22 | allow 0
        allow 0.0.0.0/0 | TCP [::1]:22 | deny
        allow 0.0.0.0/0 | TCP [2001:db8::1]:22 | deny
        allow 192.168.1.7/32 | TCP 192.168.1.7:22 | allow 0
        allow 192.168.1.7/32 | TCP 192.168.1.8:22 | deny
        allow 2001:db8::/32 | TCP [2001:db8::1]:22 | allow 0
        allow 2001:db8::/32 | TCP [2001:DB8:0:0:0:0:0:1]:22 | allow 0
        allow 2001:db8::/32 | TCP [2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:22 | allow 0
        allow 2001:db8::/32 | TCP [2001:db9::1]:22 | deny
        allow 2001:db8::/32 | TCP 32.1.13.184:22 | deny
        allow ::/0 | TCP [::1]:22 | allow 0
        allow ::/0 | TCP 1.2.3.4:22 | deny
        allow ::/0 | TCP [::ffff:1.2.3.4]:22 | deny
        allow [2001:db8::1] | TCP [2001:db8::1]:22 | allow 0
        allow 2001:db8::1 | TCP [2001:db8:0::1]:22 | allow 0
        allow 2001:db8::1 | TCP [2001:db8::2]:22 | deny
        allow ::ffff:10.1.2.3 | TCP 10.1.2.3:22 | allow 0
        # address rules never allow a name; deny rules on addresses apply to the address a name resolved to
        allow 10.0.0.0/8 | TCP internal.corp:22 | deny
        allow 10.0.0.0/8 | TCP internal.corp:22@10.1.2.3 | deny
        allow 10.0.0.0/8 | HTTP GET internal.corp:80@10.1.2.3 | deny
        allow 0.0.0.0/0 | TLS example.com:443@1.2.3.4 | deny
        allow 10.1.2.3 | TCP internal.corp:22@10.1.2.3 | deny
        deny 10.0.0.0/8; allow * | TCP internal.corp:22@10.1.2.3 | deny 0
        deny 10.0.0.0/8; allow * | TCP internal.corp:22@8.8.8.8 | allow 1
        deny 10.0.0.0/8; allow * | TCP internal.corp:22 | allow 1
        deny 10.0.0.0/8; allow * | HTTP GET internal.corp:80@::ffff:10.9.9.9 | deny 0
        deny 10.0.0.0/8; allow * | TLS internal.corp:443@10.9.9.9 | deny 0
        deny fc00::/7; allow *.corp | TCP db.corp:5432@fd12::1 | deny 0
        deny fc00::/7; allow *.corp | TCP db.corp:5432@2001:db8::1 | allow 1
        deny 10.0.0.0/8 ports=22; allow * | TCP internal.corp:22@10.1.2.3 | deny 0
        deny 10.0.0.0/8 ports=22; allow * | TCP internal.corp:80@10.1.2.3 | allow 1
        allow *.corp; deny 10.0.0.0/8 | TCP internal.corp:22@10.1.2.3 | allow 0
        # a name rule never matches an address, however it is spelled
        allow *.example.com | TCP 93.184.216.34:22 | deny
        allow * | TCP 127.0.0.1:22 | allow 0
        """;

    private const string PortsAndMethods = """
        allow x.com ports=443 | HTTP GET x.com:443 | allow 0
        allow x.com ports=443 | HTTP GET x.com:80 | deny
        allow x.com ports=443 | TCP x.com:4433 | deny
        allow x.com ports=443 | TCP x.com:44 | deny
        allow x.com ports=80,8080 | HTTP GET x.com:8080 | allow 0
        allow x.com ports=80,8080 | HTTP GET x.com:80 | allow 0
        allow x.com ports=80,8080 | HTTP GET x.com:8081 | deny
        allow x.com ports=22 | TCP x.com:22 | allow 0
        allow x.com ports=22 | TLS x.com:22 | allow 0
        allow x.com ports=65535 | TCP x.com:65535 | allow 0
        allow x.com ports=1 | TCP x.com:1 | allow 0
        allow 10.0.0.0/8 ports=5432 | TCP 10.0.0.5:5432 | allow 0
        allow 10.0.0.0/8 ports=5432 | TCP 10.0.0.5:5433 | deny
        allow x.com methods=GET,HEAD | HTTP GET x.com:443 | allow 0
        allow x.com methods=GET,HEAD | HTTP get x.com:443 | allow 0
        allow x.com methods=GET,HEAD | HTTP Get x.com:443 | allow 0
        allow x.com methods=GET,HEAD | HTTP HEAD x.com:443 | allow 0
        allow x.com methods=GET,HEAD | HTTP head x.com:443 | allow 0
        allow x.com methods=GET,HEAD | HTTP POST x.com:443 | deny
        allow x.com methods=GET,HEAD | HTTP GETX x.com:443 | deny
        allow x.com methods=GET,HEAD | HTTP GE x.com:443 | deny
        allow x.com methods=GET,HEAD | HTTP DELETE x.com:443 | deny
        allow x.com methods=get | HTTP GET x.com:443 | allow 0
        allow x.com methods=post | HTTP Post x.com:443 | allow 0
        allow x.com methods=PROPFIND | HTTP propfind x.com:443 | allow 0
        deny x.com methods=DELETE; allow x.com | HTTP DELETE x.com:443 | deny 0
        deny x.com methods=DELETE; allow x.com | HTTP delete x.com:443 | deny 0
        deny x.com methods=DELETE; allow x.com | HTTP GET x.com:443 | allow 1
        deny * methods=TRACE,CONNECT; allow * | HTTP trace x.com:80 | deny 0
        deny * methods=TRACE,CONNECT; allow * | HTTP CONNECT x.com:80 | deny 0
        allow x.com ports=443 methods=GET | HTTP GET x.com:80 | deny
        allow x.com ports=443 methods=GET | HTTP GET x.com:443 | allow 0
        """;

    private const string Paths = """
        allow x.com paths=/repos/** | HTTP GET x.com:443 /repos | allow 0
        allow x.com paths=/repos/** | HTTP GET x.com:443 /repos/ | allow 0
        allow x.com paths=/repos/** | HTTP GET x.com:443 /repos/a | allow 0
        allow x.com paths=/repos/** | HTTP GET x.com:443 /repos/a/b/c | allow 0
        allow x.com paths=/repos/** | HTTP GET x.com:443 /repos/a?x=1 | allow 0
        allow x.com paths=/repos/** | HTTP GET x.com:443 /repository | deny
        allow x.com paths=/repos/** | HTTP GET x.com:443 /repo | deny
        allow x.com paths=/repos/** | HTTP GET x.com:443 / | deny
        allow x.com paths=/repos/** | HTTP GET x.com:443 /Repos/a | deny
        allow x.com paths=/repos/** | HTTP GET x.com:443 /x/repos/a | deny
        allow x.com paths=/repos/** | HTTP GET x.com:443 /x?/repos/a | deny
        allow x.com paths=/repos/** | HTTP GET x.com:443 /%72epos/a | allow 0
        allow x.com paths=/repos/** | HTTP GET x.com:443 //repos/a | allow 0
        allow x.com paths=/repos/** | HTTP GET x.com:443 /repos//a | allow 0
        allow x.com paths=/repos/*/issues | HTTP GET x.com:443 /repos/a/issues | allow 0
        allow x.com paths=/repos/*/issues | HTTP GET x.com:443 /repos//issues | deny
        allow x.com paths=/repos/*/issues | HTTP GET x.com:443 /repos/a/b/issues | deny
        allow x.com paths=/repos/*/issues | HTTP GET x.com:443 /repos/a/issues/ | deny
        allow x.com paths=/v1/*.json | HTTP GET x.com:443 /v1/a.json | allow 0
        allow x.com paths=/v1/*.json | HTTP GET x.com:443 /v1/.json | allow 0
        allow x.com paths=/v1/*.json | HTTP GET x.com:443 /v1/a/b.json | deny
        allow x.com paths=/v1/*.json | HTTP GET x.com:443 /v1/a.jsonx | deny
        allow x.com paths=/a/**/z | HTTP GET x.com:443 /a/z | allow 0
        allow x.com paths=/a/**/z | HTTP GET x.com:443 /a/b/z | allow 0
        allow x.com paths=/a/**/z | HTTP GET x.com:443 /a/b/c/d/z | allow 0
        allow x.com paths=/a/**/z | HTTP GET x.com:443 /a/bz | deny
        allow x.com paths=/a/**/z | HTTP GET x.com:443 /az | deny
        allow x.com paths=/a/**/z | HTTP GET x.com:443 /a/z/y | deny
        allow x.com paths=/** | HTTP GET x.com:443 / | allow 0
        allow x.com paths=/** | HTTP GET x.com:443 /anything/at/all | allow 0
        allow x.com paths=/**/x.txt | HTTP GET x.com:443 /x.txt | allow 0
        allow x.com paths=/**/x.txt | HTTP GET x.com:443 /a/b/x.txt | allow 0
        allow x.com paths=/**/x.txt | HTTP GET x.com:443 /a/bx.txt | deny
        allow x.com paths=/exact | HTTP GET x.com:443 /exact | allow 0
        allow x.com paths=/exact | HTTP GET x.com:443 /exact/ | deny
        allow x.com paths=/exact | HTTP GET x.com:443 /exactly | deny
        allow x.com paths=/exact | HTTP GET x.com:443 /EXACT | deny
        allow x.com paths=/a,/b/** | HTTP GET x.com:443 /b/c | allow 0
        allow x.com paths=/a,/b/** | HTTP GET x.com:443 /a | allow 0
        allow x.com paths=/a,/b/** | HTTP GET x.com:443 /c | deny
        deny x.com paths=/admin**; allow x.com | HTTP GET x.com:443 /admin/users | deny 0
        deny x.com paths=/admin**; allow x.com | HTTP GET x.com:443 /administrator | deny 0
        deny x.com paths=/admin**; allow x.com | HTTP GET x.com:443 /public | allow 1
        allow x.com methods=GET paths=/r/** | HTTP GET x.com:443 /r/1 | allow 0
        allow x.com methods=GET paths=/r/** | HTTP POST x.com:443 /r/1 | deny
        allow x.com methods=GET paths=/r/** | HTTP GET x.com:443 /w/1 | deny
        # dot-segments are resolved before matching
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/./../admin | deny
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/../admin | deny
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/a/../b | allow 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /x/../v1/a | allow 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /../../v1/a | allow 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /public/../admin/x | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 //admin | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 ///admin//x | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /./admin | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /%61dmin | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /ADMIN | allow 1
        # the attack battery: ambiguous paths are denied whenever a rule with paths is consulted
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%2e%2e/admin | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%2E%2E/admin | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/.%2e/admin | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%2e./admin | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%2e/x | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/..%2fadmin | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/..%2Fadmin | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1%2f..%2fadmin | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/a%2fb | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/..%5cadmin | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/..%5Cadmin | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/..\admin | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/a%00.json | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%c0%ae%c0%ae/admin | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%c0%af | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%e0%80%ae | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%zz | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%2 | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/% | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%ff | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/..;/admin | deny 0
        # ;parameters in a segment: /admin;x/y is /admin/y to a servlet container
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /admin;x/y | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /admin%3Bx/y | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /admin%3bx/y | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /public;v=1 | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/a;x | deny 0
        allow x.com | HTTP GET x.com:443 /admin;x/y | allow 0
        deny x.com methods=DELETE; allow x.com | HTTP GET x.com:443 /admin;x/y | allow 1
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/a?x=1;y=2 | allow 0
        # the address a name resolved to is decided too (deny rules on addresses)
        deny 127.0.0.0/8; allow other.test | HTTP GET other.test:80@127.0.0.1 /x | deny 0
        deny 127.0.0.0/8; allow other.test | HTTP GET other.test:80@127.0.0.2 /x | deny 0
        deny 127.0.0.0/8; allow other.test | HTTP GET other.test:80@203.0.113.9 /x | allow 1
        deny ::1; allow other.test | HTTP GET other.test:80@::1 /x | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/a#frag | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%c3%a9 | allow 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/%252e%252e/admin | allow 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/a;b | deny 0
        allow x.com paths=/v1/** | HTTP GET x.com:443 /v1/...; | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /x/%2e%2e/admin | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /x/..%2fadmin | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /%5cadmin | deny 0
        # a flagged path is denied only when a rule with paths is consulted
        allow x.com | HTTP GET x.com:443 /v1/%2e%2e/admin | allow 0
        allow x.com | HTTP GET x.com:443 /a%2fb | allow 0
        allow x.com methods=GET | HTTP GET x.com:443 /a%2fb | allow 0
        allow x.com paths=/a/**; allow y.com | HTTP GET y.com:443 /a%2fb | allow 1
        allow x.com ports=80 paths=/a/**; allow x.com | HTTP GET x.com:443 /a%2fb | allow 1
        allow x.com methods=POST paths=/a/**; allow x.com | HTTP GET x.com:443 /a%2fb | allow 1
        allow x.com methods=GET paths=/a/**; allow x.com | HTTP GET x.com:443 /a%2fb | deny 0
        allow x.com; allow x.com paths=/a/** | HTTP GET x.com:443 /a%2fb | allow 0
        # absolute-form targets match on their path
        allow x.com paths=/v1/** | HTTP GET x.com:80 http://x.com/v1/a | allow 0
        allow x.com paths=/v1/** | HTTP GET x.com:80 http://other.host/admin | deny
        allow x.com paths=/v1/** | HTTP GET x.com:80 http://user@x.com/v1/a | deny 0
        """;

    private const string Order = """
        deny x.com; allow x.com | HTTP GET x.com:443 | deny 0
        allow x.com; deny x.com | HTTP GET x.com:443 | allow 0
        deny *; allow x.com | HTTP GET x.com:443 | deny 0
        allow x.com; deny * | HTTP GET x.com:443 | allow 0
        allow x.com; deny * | HTTP GET y.com:443 | deny 1
        deny *.x.com; allow api.x.com | HTTP GET api.x.com:443 | deny 0
        allow api.x.com; deny *.x.com | HTTP GET api.x.com:443 | allow 0
        allow api.x.com; deny *.x.com | HTTP GET web.x.com:443 | deny 1
        allow api.x.com; deny *.x.com; allow * | HTTP GET web.x.com:443 | deny 1
        allow api.x.com; deny *.x.com; allow * | HTTP GET y.com:443 | allow 2
        deny x.com ports=22; allow x.com | TCP x.com:22 | deny 0
        deny x.com ports=22; allow x.com | TCP x.com:443 | allow 1
        allow a.com; allow b.com; allow c.com | HTTP GET c.com:443 | allow 2
        allow a.com; allow b.com; allow c.com | HTTP GET d.com:443 | deny
        allow a.com ports=80; allow a.com ports=443 | HTTP GET a.com:443 | allow 1
        deny 10.0.0.0/8; allow 10.1.0.0/16 | TCP 10.1.2.3:22 | deny 0
        allow 10.1.0.0/16; deny 10.0.0.0/8 | TCP 10.1.2.3:22 | allow 0
        allow 10.1.0.0/16; deny 10.0.0.0/8 | TCP 10.2.2.3:22 | deny 1
        deny x.com paths=/admin/**; allow x.com paths=/** | HTTP GET x.com:443 /admin/x | deny 0
        allow x.com paths=/**; deny x.com paths=/admin/** | HTTP GET x.com:443 /admin/x | allow 0
        |  HTTP GET x.com:443 | deny
        |  TCP 1.2.3.4:443 | deny
        """;

    private const string TlsAndTcp = """
        # TLS: host/port rules decide at once
        allow x.com | TLS x.com:443 | allow 0
        deny x.com; allow * | TLS x.com:443 | deny 0
        allow x.com ports=443 | TLS x.com:8443 | deny
        # an allow with methods or paths can only be decided per request
        allow x.com methods=GET | TLS x.com:443 | http
        allow x.com paths=/a/** | TLS x.com:443 | http
        allow x.com paths=/a/**; deny x.com | TLS x.com:443 | http
        allow x.com paths=/a/**; deny * | TLS x.com:443 | http
        allow x.com paths=/a/** | TLS y.com:443 | deny
        allow x.com ports=80 paths=/a/** | TLS x.com:443 | deny
        allow x.com methods=GET; allow x.com | TLS x.com:443 | allow 1
        # a deny with paths does not block a TLS connection before its requests are seen
        deny x.com paths=/admin/**; allow x.com | TLS x.com:443 | http
        deny x.com methods=DELETE; allow x.com | TLS x.com:443 | http
        deny x.com paths=/admin/**; allow * | TLS x.com:443 | http
        deny x.com paths=/admin/** | TLS x.com:443 | deny
        deny x.com paths=/admin/**; deny x.com | TLS x.com:443 | deny 1
        deny y.com paths=/admin/**; allow x.com | TLS x.com:443 | allow 1
        deny x.com ports=80 paths=/admin/**; allow x.com | TLS x.com:443 | allow 1
        # but a host rule before any of them decides
        deny x.com; allow x.com paths=/a/** | TLS x.com:443 | deny 0
        allow x.com; deny x.com paths=/admin/** | TLS x.com:443 | allow 0
        # address rules at TLS time
        allow 10.0.0.0/8 paths=/a/** | TLS 10.0.0.1:443 | http
        deny 10.0.0.0/8; allow * | TLS 10.0.0.1:443 | deny 0
        deny 10.0.0.0/8 paths=/a/**; allow * | TLS 10.0.0.1:443 | http
        # and over HTTP the same rules decide per request
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /admin/a | deny 0
        deny x.com paths=/admin/**; allow x.com | HTTP GET x.com:443 /public | allow 1
        allow x.com paths=/a/**; deny x.com | HTTP GET x.com:443 /a/1 | allow 0
        allow x.com paths=/a/**; deny x.com | HTTP GET x.com:443 /b | deny 1
        allow x.com paths=/a/** | HTTP GET x.com:443 /b | deny
        # raw TCP: rules with methods or paths never match, allow or deny
        allow x.com paths=/a/** | TCP x.com:443 | deny
        allow x.com methods=GET | TCP x.com:443 | deny
        allow x.com methods=GET; allow x.com | TCP x.com:443 | allow 1
        deny x.com paths=/admin/**; allow x.com | TCP x.com:443 | allow 1
        deny x.com methods=GET; allow x.com | TCP x.com:443 | allow 1
        deny x.com paths=/admin/**; deny x.com; allow * | TCP x.com:443 | deny 1
        allow x.com ports=22 | TCP x.com:22 | allow 0
        allow x.com ports=22 | TCP x.com:2222 | deny
        allow * paths=/** | TCP anything.test:22 | deny
        allow * paths=/**; allow *.git.test ports=22 | TCP code.git.test:22 | allow 1
        allow 10.0.0.0/8 methods=GET | TCP 10.0.0.1:80 | deny
        """;

    /// <summary>
    /// <see cref="EgressPolicy.DecideStream"/>: whether a flow (TCP, or TLS before interception) may be tunnelled raw
    /// (<c>allow N</c>), must be HTTP (<c>http</c>) or is refused. A rule with methods/paths that could apply keeps it HTTP.
    /// </summary>
    private const string Streams = """
        # a host/port rule alone: raw tunnel
        allow x.com | TCP x.com:443 | allow 0
        allow x.com ports=22 | TCP x.com:22 | allow 0
        allow x.com ports=22 | TCP x.com:2222 | deny
        allow *; deny x.com | TCP x.com:22 | allow 0
        deny x.com; allow * | TCP x.com:22 | deny 0
        # a deny with methods or paths before the allow: HTTP only, never a raw tunnel
        deny x.com paths=/admin/**; allow x.com | TCP x.com:443 | http
        deny x.com methods=DELETE; allow x.com | TCP x.com:443 | http
        deny x.com paths=/admin/**; allow * | TCP x.com:80 | http
        deny *.x.com paths=/admin/**; allow * | TCP api.x.com:80 | http
        deny x.com paths=/admin/**; allow x.com | TLS x.com:443 | http
        # an allow with methods or paths: HTTP only
        allow x.com paths=/a/** | TCP x.com:443 | http
        allow x.com methods=GET | TCP x.com:443 | http
        allow x.com paths=/a/**; deny * | TCP x.com:443 | http
        allow * paths=/** | TCP anything.test:22 | http
        allow 10.0.0.0/8 methods=GET | TCP 10.0.0.1:80 | http
        # rules for other hosts or ports do not apply
        deny y.com paths=/admin/**; allow x.com | TCP x.com:443 | allow 1
        deny x.com ports=80 paths=/admin/**; allow x.com | TCP x.com:443 | allow 1
        allow * paths=/**; allow *.git.test ports=22 | TCP code.git.test:22 | allow 1
        allow *.git.test ports=22; allow * paths=/** | TCP code.git.test:22 | allow 0
        # a host rule before decides; a deny after one cannot apply
        allow x.com; deny x.com paths=/admin/** | TCP x.com:443 | allow 0
        deny x.com; allow x.com paths=/a/** | TCP x.com:443 | deny 0
        deny x.com paths=/admin/**; deny x.com; allow * | TCP x.com:443 | deny 1
        deny x.com paths=/admin/** | TCP x.com:443 | deny
        # the address the name resolved to: deny rules on it apply
        deny 127.0.0.0/8; allow x.com | TCP x.com:443@127.0.0.1 | deny 0
        deny 127.0.0.0/8; allow x.com | TLS x.com:443@127.0.0.1 | deny 0
        deny 127.0.0.0/8; allow x.com | TCP x.com:443@203.0.113.9 | allow 1
        deny 10.0.0.0/8; allow * | TCP x.com:22@10.1.2.3 | deny 0
        allow 127.0.0.0/8 | TCP x.com:443@127.0.0.1 | deny
        """;

    public static TheoryData<string, string, string> StreamCases => Table(Streams);

    [Theory, MemberData(nameof(StreamCases))]
    public void StreamsAreTunnelledOnlyWhenNoHttpRuleCouldApply(string rules, string request, string expected) =>
        Assert.Equal(expected, Show(Policy(rules).DecideStream(Request(request))));

    public static TheoryData<string, string, string> Table(string table)
    {
        var data = new TheoryData<string, string, string>();
        foreach (var raw in table.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split('|');
            Assert.Equal(3, parts.Length);
            data.Add(parts[0].Trim(), parts[1].Trim(), parts[2].Trim());
        }
        return data;
    }

    public static TheoryData<string, string, string> HostCases => Table(Hosts);
    public static TheoryData<string, string, string> AddressCases => Table(Addresses);
    public static TheoryData<string, string, string> PortAndMethodCases => Table(PortsAndMethods);
    public static TheoryData<string, string, string> PathCases => Table(Paths);
    public static TheoryData<string, string, string> OrderCases => Table(Order);
    public static TheoryData<string, string, string> TlsAndTcpCases => Table(TlsAndTcp);

    private static void Check(string rules, string request, string expected) =>
        Assert.Equal(expected, Show(Policy(rules).Decide(Request(request))));

    [Theory, MemberData(nameof(HostCases))]
    public void HostMatching(string rules, string request, string expected) => Check(rules, request, expected);

    [Theory, MemberData(nameof(AddressCases))]
    public void AddressMatching(string rules, string request, string expected) => Check(rules, request, expected);

    [Theory, MemberData(nameof(PortAndMethodCases))]
    public void PortAndMethodMatching(string rules, string request, string expected) => Check(rules, request, expected);

    [Theory, MemberData(nameof(PathCases))]
    public void PathMatching(string rules, string request, string expected) => Check(rules, request, expected);

    [Theory, MemberData(nameof(OrderCases))]
    public void FirstMatchWins(string rules, string request, string expected) => Check(rules, request, expected);

    [Theory, MemberData(nameof(TlsAndTcpCases))]
    public void TlsAndRawTcp(string rules, string request, string expected) => Check(rules, request, expected);
}
