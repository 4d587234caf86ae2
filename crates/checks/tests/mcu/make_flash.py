"""Builds an ESP32 flash dump for crates/checks/tests/mcu.rs with the PyPI tools of .ci/mcu-tools.sh.

usage: make_flash.py APP_IMAGE OUT_DIR

  OUT_DIR/nvs.bin        esp-idf-nvs-partition-gen from a CSV: namespace "wifi" with ssid and
                         password strings, an integer, and namespace "nvs.net80211" with sta.pswd
  OUT_DIR/littlefs.bin   littlefs-python: /config.json holding a default admin password
  OUT_DIR/table.bin      the partition table (written here: ESP-IDF's gen_esp32part.py is not on
                         PyPI): nvs, phy, factory app, littlefs, and ota_1 beyond the dump, MD5 entry
  OUT_DIR/flash.bin      esptool merge_bin of the table at 0x8000, NVS at 0x9000, APP_IMAGE at
                         0x10000 and LittleFS at 0x110000
"""
import hashlib, os, struct, subprocess, sys

app, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
py = sys.executable

csv = os.path.join(out, "nvs.csv")
with open(csv, "w") as f:
    f.write("key,type,encoding,value\n"
            "wifi,namespace,,\n"
            "ssid,data,string,HomeNet\n"
            "password,data,string,Tr0ub4dor&3x\n"
            "retries,data,u8,5\n"
            "nvs.net80211,namespace,,\n"
            "sta.pswd,data,string,Sup3rS3cretWifi\n")
subprocess.run([py, "-m", "esp_idf_nvs_partition_gen", "generate", csv,
                os.path.join(out, "nvs.bin"), "0x6000"], check=True, stdout=subprocess.DEVNULL)

import littlefs
fs = littlefs.LittleFS(block_size=4096, block_count=32)
fs.mkdir("www")
with fs.open("config.json", "w") as f:
    f.write('{\n  "admin_user": "admin",\n  "admin_password": "admin",\n  "mqtt_host": "broker.example.com"\n}\n')
with fs.open("www/index.html", "w") as f:
    f.write("<html><body>settings</body></html>\n")
with open(os.path.join(out, "littlefs.bin"), "wb") as f:
    f.write(fs.context.buffer)

def entry(kind, sub, off, size, label):
    return struct.pack("<2sBBII16sI", b"\xaa\x50", kind, sub, off, size, label.encode(), 0)

table = b"".join([
    entry(1, 0x02, 0x9000, 0x6000, "nvs"),
    entry(1, 0x01, 0xF000, 0x1000, "phy_init"),
    entry(0, 0x00, 0x10000, 0x100000, "factory"),
    entry(1, 0x83, 0x110000, 0x20000, "littlefs"),
    entry(0, 0x11, 0x200000, 0x100000, "ota_1"),
])
table += b"\xeb\xeb" + b"\xff" * 14 + hashlib.md5(table).digest()
table += b"\xff" * (0xC00 - len(table))
with open(os.path.join(out, "table.bin"), "wb") as f:
    f.write(table)

subprocess.run([py, "-m", "esptool", "--chip", "esp32", "merge_bin", "-o", os.path.join(out, "flash.bin"),
                "0x8000", os.path.join(out, "table.bin"),
                "0x9000", os.path.join(out, "nvs.bin"),
                "0x10000", app,
                "0x110000", os.path.join(out, "littlefs.bin")], check=True, stdout=subprocess.DEVNULL)
