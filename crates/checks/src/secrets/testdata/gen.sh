#!/bin/sh
# Regenerates the throwaway test keys and certificates of the secrets tests (never used anywhere
# else). Needs openssl 3, ssh-keygen, dropbearkey and puttygen. Fingerprints the tests expect are
# written to fingerprints.txt by the same tools people would use to check a finding.
set -eu
cd "$(dirname "$0")"
rm -f *.pem *.key *.crt *.der *.p12 *.ppk *.pub dropbear_* id_* fingerprints.txt
cat > ca.cnf <<'CNF'
[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
policy = p
copy_extensions = copy
[p]
commonName = supplied
[leaf]
basicConstraints = critical,CA:FALSE
[root]
basicConstraints = critical,CA:TRUE
CNF
: > index.txt; echo 01 > serial
ca() { # key subject start end md ext out
  openssl req -new -key "$1" -subj "$2" -out req.csr
  yes | openssl ca -config ca.cnf -selfsign -keyfile "$1" -in req.csr -startdate "$3" -enddate "$4" \
    -md "$5" -extensions "$6" -notext -out "$7" -batch >/dev/null 2>&1
}
# A device TLS identity: PKCS#8 key + matching leaf certificate (self-signed, valid 2020-2040).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server.key
ca server.key "/CN=device.local" 20200101000000Z 20400101000000Z sha256 leaf server.crt
# Traditional PKCS#1 1024-bit key, no certificate.
openssl genrsa -traditional -out rsa1024.pem 1024 2>/dev/null
# The same key as DER (embedded in a synthetic binary by the tests).
openssl rsa -in rsa1024.pem -traditional -outform DER -out rsa1024.der 2>/dev/null
openssl rsa -in rsa1024.pem -pubout -out rsa1024.pub.pem 2>/dev/null
# EC SEC1, Ed25519 PKCS#8, encrypted PKCS#8, legacy-encrypted PEM.
openssl ecparam -genkey -name prime256v1 -noout -out ec.pem
openssl genpkey -algorithm ed25519 -out ed25519.pem
openssl pkcs8 -topk8 -in rsa1024.pem -v2 aes-256-cbc -passout pass:test -out encrypted.pem
openssl rsa -in rsa1024.pem -aes128 -traditional -passout pass:test -out legacy-encrypted.pem 2>/dev/null
# An expired 1024-bit certificate signed with MD5 by a CA, and that CA (SHA-1, 1024 bits).
openssl genrsa -traditional -out oldca.key 1024 2>/dev/null
ca oldca.key "/CN=Old Vendor CA" 20050101000000Z 20150101000000Z sha1 root oldca.crt
openssl genrsa -traditional -out old.key 1024 2>/dev/null
openssl req -new -key old.key -subj "/CN=old.device" -out req.csr
yes | openssl ca -config ca.cnf -cert oldca.crt -keyfile oldca.key -in req.csr -startdate 20060101000000Z \
  -enddate 20080101000000Z -md md5 -extensions leaf -notext -out old.crt -batch >/dev/null 2>&1
# A current CA for a bundle.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out newca.key
ca newca.key "/CN=Current Root CA" 20200101000000Z 20450101000000Z sha256 root newca.crt
cat newca.crt oldca.crt > bundle.crt
# PKCS#12 of the server identity.
openssl pkcs12 -export -inkey server.key -in server.crt -passout pass:test -out server.p12
# OpenSSH, dropbear and PuTTY keys.
ssh-keygen -q -t ed25519 -N "" -C test -f id_ed25519
dropbearkey -t ecdsa -s 256 -f dropbear_ecdsa_host_key >/dev/null 2>&1
dropbearkey -t ed25519 -f dropbear_ed25519_host_key >/dev/null 2>&1
puttygen -t rsa -b 2048 -o putty.ppk --new-passphrase /dev/null -C test >/dev/null 2>&1
{
  for k in server.key rsa1024.pem ec.pem ed25519.pem; do
    echo "$k SPKI SHA-256 $(openssl pkey -in $k -pubout -outform DER | sha256sum | cut -d' ' -f1)"
  done
  echo "id_ed25519 $(ssh-keygen -lf id_ed25519 | cut -d' ' -f2)"
  for k in dropbear_ecdsa_host_key dropbear_ed25519_host_key; do
    echo "$k $(dropbearkey -y -f $k | sed -n 's/^Fingerprint: //p')"
  done
  echo "putty.ppk $(puttygen -l -E sha256 putty.ppk | cut -d' ' -f3)"
} > fingerprints.txt
rm -f ca.cnf index.txt* serial* req.csr 0*.pem oldca.key old.key newca.key id_ed25519.pub
