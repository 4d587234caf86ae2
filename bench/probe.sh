#!/usr/bin/env bash
# A loopback "device" on 127.0.78.1 running everything the probe speaks — busybox telnetd (login,
# admin/admin), dropbear (admin/admin), lighttpd Basic (admin/admin), nginx accepting any
# Authorization and nginx answering 200 everywhere, a web login form (lighttpd + the CGI of
# crates/probe/tests/fixtures, admin/admin), nginx HTTPS with Basic (admin/admin), mosquitto
# (anonymous), pure-ftpd (admin/admin), openssl s_server with TLS 1.0–1.2, snmpd (public) — then
# `iotassay probe` and
# `nmap -sV --script telnet-brute,ssh-brute,http-default-accounts` on the same ports, side by side:
# wall time and what each reports. nmap's brute scripts get the same candidates as the probe's
# first nine (users root/admin × the Mirai passwords), so both try comparable lists.
# Not a test. Run as root (standard ports; telnetd and dropbear run in a mount namespace of their
# own whose passwd/shadow hold the test account admin/admin, so the host gets no account). Needs
# the Debian packages scripts/test installs. Usage: bench/probe.sh  (NMAP=0 skips nmap; the reports stay in $OUT,
# default /tmp/iotassay-probe-bench)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd); cd "$here"
target=${CARGO_TARGET_DIR:-$here/target}
cargo build --release -q -p iotassay
bin="$target/release/iotassay"
ip=127.0.78.1
out=${OUT:-/tmp/iotassay-probe-bench}; mkdir -p "$out"
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# The telnet and SSH servers authenticate against /etc/passwd and /etc/shadow: theirs are the bench's.
printf 'root:x:0:0:root:/root:/bin/sh\nadmin:x:65534:65534:probe bench account:/tmp:/bin/sh\n' > "$work/passwd"
printf 'root:*:19000:0:99999:7:::\nadmin:%s:19000:0:99999:7:::\n' "$(openssl passwd -6 admin)" > "$work/shadow"
accounts=(unshare --mount --propagation private -- sh -c
  'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/shadow && shift 2 && exec "$@"' sh "$work/passwd" "$work/shadow")
start() { "$@" >>"$work/servers.log" 2>&1 & pids+=($!); }

dropbearkey -t ed25519 -f "$work/key" >/dev/null 2>&1
mkdir -p "$work/www" "$work/tmp" "$work/ftp"; echo '<html>camera</html>' > "$work/www/index.html"
echo 'admin:admin' > "$work/users"
cat > "$work/lighttpd.conf" <<EOF
server.document-root = "$work/www"
server.bind = "$ip"
server.port = 80
server.modules += ("mod_indexfile", "mod_auth", "mod_authn_file")
index-file.names = ("index.html")
auth.backend = "plain"
auth.backend.plain.userfile = "$work/users"
auth.require = ("/" => ("method" => "basic", "realm" => "IPCam", "require" => "valid-user"))
EOF
mkdir -p "$work/form"; cp crates/probe/tests/fixtures/login.cgi crates/probe/tests/fixtures/status.cgi "$work/form/"
cat > "$work/form.conf" <<EOF
server.document-root = "$work/form"
server.bind = "$ip"
server.port = 8088
server.modules += ("mod_cgi", "mod_redirect", "mod_setenv")
cgi.assign = (".cgi" => "$(command -v python3)")
url.redirect = ("^/\$" => "/login.cgi")
setenv.add-environment = ("LOGIN_USER" => "admin", "LOGIN_PASS" => "admin", "LOGIN_MODE" => "check")
EOF
echo 'admin:{PLAIN}admin' > "$work/htpasswd"
cat > "$work/nginx.conf" <<EOF
master_process off; worker_processes 1; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 64; }
http { access_log off; client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen $ip:8080; location / {
    if (\$http_authorization = "") { add_header WWW-Authenticate 'Basic realm="router"' always; return 401; }
    return 200 "welcome\n"; } }
  server { listen $ip:8081; location / { return 200 "<html>status</html>\n"; } }
  server { listen $ip:8443 ssl; ssl_certificate $work/c.pem; ssl_certificate_key $work/k.pem; root $work/www;
    location / { auth_basic "IPCam"; auth_basic_user_file $work/htpasswd; } } }
EOF
printf 'persistence false\nuser root\nlistener 1883 %s\nallow_anonymous true\n' "$ip" > "$work/mosquitto.conf"
printf 'agentaddress udp:%s:161\nrocommunity public 127.0.0.0/8\n' "$ip" > "$work/snmpd.conf"
printf 'admin\nadmin\n' | PURE_DBFILE="$work/ftp.pdb" pure-pw useradd admin -u 65534 -g 65534 -d "$work/ftp" -f "$work/ftp.passwd" -m >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=bench -keyout "$work/k.pem" -out "$work/c.pem" 2>/dev/null

start "${accounts[@]}" busybox telnetd -F -b "$ip" -p 23 -l /bin/login
start "${accounts[@]}" dropbear -F -E -p "$ip:22" -r "$work/key"
start lighttpd -D -f "$work/lighttpd.conf"
start lighttpd -D -f "$work/form.conf"
start nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;'
start mosquitto -c "$work/mosquitto.conf"
start pure-ftpd -S "$ip,21" -l "puredb:$work/ftp.pdb" -E -A -H -u 1
start openssl s_server -accept "$ip:443" -cert "$work/c.pem" -key "$work/k.pem" -www -cipher 'DEFAULT:@SECLEVEL=0' -min_protocol TLSv1 -max_protocol TLSv1.2
start snmpd -f -Lo -C -c "$work/snmpd.conf" -p "$work/snmpd.pid"
ports=21,22,23,80,443,1883,8080,8081,8088,8443
for p in ${ports//,/ }; do
  for _ in $(seq 100); do (exec 3<>/dev/tcp/$ip/$p) 2>/dev/null && break; sleep 0.1; done
done
sleep 0.5

echo "== iotassay probe $ip (ports $ports, udp snmp=161)"
t0=$(date +%s.%N)
"$bin" probe "$ip" --ports "$ports" --udp snmp=161 --json "$out/probe.json" -v --fail-on critical >"$out/probe.txt" 2>&1 || true
t1=$(date +%s.%N)
probe_s=$(python3 -c "print(round($t1-$t0,2))")

# nmap gets the probe's first nine candidate passwords for users root and admin.
printf 'root\nadmin\n' > "$work/users.lst"
printf 'xc3511\nvizxv\nadmin\n888888\nxmhdipc\ndefault\njuantech\n123456\n54321\n' > "$work/pass.lst"
if [ "${NMAP:-1}" = 0 ]; then cat "$out/probe.txt"; echo "probe: $probe_s s"; exit 0; fi
echo "== nmap -sV --script telnet-brute,ssh-brute,http-default-accounts (same ports)"
t0=$(date +%s.%N)
nmap -n -Pn -sV -p "$ports" --script telnet-brute,ssh-brute,http-default-accounts \
  --script-args "userdb=$work/users.lst,passdb=$work/pass.lst,unpwdb.timelimit=120s" "$ip" -oN "$out/nmap.txt" >/dev/null 2>&1 || true
t1=$(date +%s.%N)
nmap_s=$(python3 -c "print(round($t1-$t0,2))")

python3 - "$out/probe.json" "$out/nmap.txt" "$probe_s" "$nmap_s" <<'PY'
import json, re, sys
probe = json.load(open(sys.argv[1])); nmap = open(sys.argv[2]).read()
h = probe["hosts"][0]
svc = {p["port"]: (p["service"] + (" " + p["product"] if p.get("product") else "")) for p in h["ports"]}
verdict = {}
for a in h["auth"]:
    v = a["verdict"]; k = v["verdict"]
    if k == "default-credential": k += " " + v["cred"]["user"] + "/" + v["cred"]["password"]
    if k == "refused": k += " (%d)" % v["tried"]
    verdict[a["port"]] = a["protocol"] + ": " + k
nsvc, nres = {}, {}
cur = None
for line in nmap.splitlines():
    m = re.match(r"^(\d+)/tcp\s+open\s+(\S+)\s*(.*)$", line)
    if m:
        cur = int(m.group(1)); nsvc[cur] = (m.group(2) + " " + m.group(3)).strip()[:40]; continue
    if cur and line.startswith("|"):
        t = line.strip("|_ ").strip()
        if re.search(r"Valid credentials|Accounts|No valid accounts|ERROR|credentials found|:.*- Valid", t):
            nres.setdefault(cur, []).append(t[:60])
print("| port | iotassay service | iotassay login verdict | nmap -sV service | nmap brute/default-accounts |")
print("|---|---|---|---|---|")
for p in sorted(set(svc) | set(nsvc)):
    print(f"| {p} | {svc.get(p,'-')} | {verdict.get(p,'-')} | {nsvc.get(p,'-')} | {'; '.join(nres.get(p,[])) or '-'} |")
print()
print("iotassay findings:", len(probe["findings"]), "—", ", ".join(sorted({f["check"] for f in probe["findings"]})))
print(f"wall time: iotassay probe {sys.argv[3]} s (TCP + SNMP), nmap {sys.argv[4]} s (TCP only)")
PY
