#!/usr/bin/env bash
# Installs the operating-system packages the test suite uses, only those missing.
# Without root (or without apt-get) it says what is missing and carries on: the tests
# that need a missing tool skip and say why.
set -u
need=()
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
# javac: the OWL 2 DL profile check runs ontology/checks/ProfileCheck.java (OWL API) from source.
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v virtuoso-t >/dev/null 2>&1 || need+=(virtuoso-opensource)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || echo "system-deps: could not install some of: ${need[*]} (tests that need them will skip)"
else
  echo "system-deps: missing ${need[*]}; install them as root (tests that need them will skip)"
fi
exit 0
