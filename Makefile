# Hive: `make up` to start, `make test` to check. See README.md.
SHELL := /bin/bash
HIVE := bin/hive
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

.PHONY: deps build up down test test-long bench clean

deps:
	@scripts/install-deps.sh

build: deps
	dotnet publish src/Hive.Cli -c Release -o out/hive --nologo -v quiet
	@# The sandboxes' MCP server: Native AOT (no .NET runtime in the image), next to the CLI, which mounts it into hive/base.
	dotnet publish src/Hive.Mcp -c Release -r linux-x64 -o out/mcp --nologo -v quiet
	@install -m 0755 out/mcp/hive-mcp out/hive/hive-mcp
	@# The sandboxes' PID 1, which also starts exec'd commands: one static C binary that runs in any image.
	clang -static -O2 -Wall -Wextra -Werror -o out/hive/hive-init src/Hive.Init/hive-init.c
	@# The Inspector (the daemon's web UI): TypeScript bundled by esbuild into out/hive/inspector, served at /.
	@cd inspector && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; } && node build.mjs ../out/hive/inspector
	@mkdir -p bin && ln -sfn ../out/hive/hive $(HIVE)
	@echo "built $(HIVE)"

up: build
	$(HIVE) image build hive/base
	$(HIVE) image build hive/minimal
	$(HIVE) up
	@scripts/first-sandbox.sh

down:
	@if [ -x $(HIVE) ]; then $(HIVE) down; else echo "hive is not built"; fi

test: build
	@scripts/test.sh

# The object-store tests at full size (10,000 files, 1 GB, a venv with pip: tens of minutes against the emulators);
# `make test` runs the same tests smaller to stay within CI's budget (tests/Hive.Files.Tests/ObjectStore/TestScale.cs).
test-long: build
	dotnet build tests/Hive.Files.Tests --nologo -v quiet
	HIVE_TEST_LONG=1 dotnet test tests/Hive.Files.Tests --no-build --nologo --filter "FullyQualifiedName~ObjectStore" --logger "console;verbosity=normal"

bench: build
	@scripts/install-deps.sh bench
	dotnet run --project bench/Hive.Bench -c Release -- $(BENCH_ARGS)

clean:
	rm -rf out bin
	find . -name bin -o -name obj -type d -prune -exec rm -rf {} + 2>/dev/null || true
