#!/usr/bin/env bash
# Installs the PyPI tools the microcontroller tests build their fixtures with (an ESP32 flash dump
# with a partition table, an NVS partition and a LittleFS partition; secure-boot-v2 signed apps;
# MCUboot images) into a virtual environment, $IOTASSAY_MCU_VENV (default ${XDG_CACHE_HOME:-~/.cache}/iotassay/mcu-venv):
#   esptool (esptool, espsecure, espefuse), esp-idf-nvs-partition-gen, littlefs-python, imgtool
# The tests find the venv through IOTASSAY_MCU_VENV and fail with this script's name when it is missing.
set -euo pipefail
venv="${IOTASSAY_MCU_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/iotassay/mcu-venv}"
mkdir -p "$(dirname "$venv")"
pkgs=(esptool==4.8.1 esp-idf-nvs-partition-gen littlefs-python imgtool)
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import esptool, espsecure, esp_idf_nvs_partition_gen, littlefs, imgtool' 2>/dev/null; then
  echo "MCU tools present in $venv"; exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip >/dev/null
"$venv/bin/python" -m pip install --quiet "${pkgs[@]}"
"$venv/bin/python" -c 'import esptool, espsecure, esp_idf_nvs_partition_gen, littlefs, imgtool'
echo "MCU tools installed in $venv"
