# Sourced by ./dsv32, ./run-tests and .ci/run: exports JAVA_HOME pointing at a JDK 25 or newer.
# Order: JAVA_HOME if it is 25+, then /usr/lib/jvm/*25* (and newer), else a clear error.
dsv32_java_major() { # prints the feature version of the java at $1/bin/java, or nothing
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}
dsv32_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    v=$(dsv32_java_major "$JAVA_HOME"); if [ -n "$v" ] && [ "$v" -ge 25 ]; then return 0; fi
  fi
  for d in /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* /usr/lib/jvm/*3[0-9]*; do
    [ -x "$d/bin/javac" ] || continue
    v=$(dsv32_java_major "$d"); if [ -n "$v" ] && [ "$v" -ge 25 ]; then export JAVA_HOME="$d"; return 0; fi
  done
  echo "dsv32: no JDK 25 found. Set JAVA_HOME to a JDK 25+ or install one under /usr/lib/jvm (for example Temurin 25: apt-get install temurin-25-jdk, or openjdk-25-jdk)." >&2
  return 1
}
dsv32_find_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
