# policy-lint as a container image: a static (musl) binary on a minimal base, run as a non-root
# user, with `policy-lint` as the entrypoint. See docs/containers.md (GitLab CI and other runners).
#
#   docker build -t policy-lint --build-arg POLICY_LINT_COMMIT="$(git rev-parse HEAD)" .
#   docker run --rm -v "$PWD:/src" policy-lint check .
#
# The builder's Rust version is the minimum the crate supports (Cargo.toml `rust-version`).

FROM rust:1.88-alpine AS build
# The C compiler's musl headers, for mimalloc.
RUN apk add --no-cache musl-dev
WORKDIR /build
# Dependencies first, in their own layer.
COPY Cargo.toml Cargo.lock ./
RUN cargo fetch --locked
COPY build.rs ./
COPY src ./src
COPY rules ./rules
# No .git in the build context: the commit comes from the build argument, else `unknown`.
ARG POLICY_LINT_COMMIT=""
ARG SOURCE_DATE_EPOCH=""
RUN POLICY_LINT_COMMIT="$POLICY_LINT_COMMIT" SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" \
      cargo build --locked --release --bin policy-lint \
 && ./target/release/policy-lint --version \
 && if ldd ./target/release/policy-lint 2>/dev/null | grep -q '=>'; then echo "not static" >&2; exit 1; fi

# A shell stays in the image: GitLab CI and most runners execute job scripts with `sh`.
FROM alpine:3.22
RUN addgroup -S -g 10001 policy-lint \
 && adduser -S -D -H -u 10001 -G policy-lint -h /nonexistent -s /sbin/nologin policy-lint
COPY --from=build /build/target/release/policy-lint /usr/local/bin/policy-lint
LABEL org.opencontainers.image.title="policy-lint" \
      org.opencontainers.image.description="Policy-as-code checker for Databricks-on-AWS security configuration" \
      org.opencontainers.image.source="https://github.com/policy-lint/policy-lint" \
      org.opencontainers.image.licenses="Apache-2.0"
USER 10001:10001
WORKDIR /src
ENTRYPOINT ["policy-lint"]
CMD ["check", "."]
