# The catalog image (`opm generate dockerfile` writes the same):
#   podman build -f catalog.Dockerfile -t quay.io/projectquay/quay-operator-ts-catalog:latest .
FROM quay.io/operator-framework/opm:latest
ENTRYPOINT ["/bin/opm"]
CMD ["serve", "/configs", "--cache-dir=/tmp/cache"]
ADD quay-operator-ts /configs/quay-operator-ts
RUN ["/bin/opm", "serve", "/configs", "--cache-dir=/tmp/cache", "--cache-only"]
LABEL operators.operatorframework.io.index.configs.v1=/configs
