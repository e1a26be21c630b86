libprov exports only prov_* symbols (STYLE.md; curl's test 1167).

  $ nm -D --defined-only "$PROV_LIB" | awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -v '^prov_' 
  [1]
  $ nm -D --defined-only "$PROV_LIB" | awk '$2 == "T" {print $3}' | grep -c '^prov_device_apply$'
  1
