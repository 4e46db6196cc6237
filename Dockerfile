# A small image with azroute as its entry point (docs/ci.md, "A container image"):
#   docker build -t azroute .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" azroute audit snapshot --format sarif -o azroute.sarif
#
# The base image is pinned by digest so that a rebuild gets the same Python. The digest below is a
# placeholder that must be replaced before the image is built for production: it was not looked up
# because this project's machine has no container registry access, and an unverified digest would be
# worse than none. Find the current one with
#   docker buildx imagetools inspect python:3.12-slim --format '{{json .Manifest.Digest}}'
# and write it as python:3.12-slim@sha256:<digest> in both FROM lines (BASE below).
# Until then the tag alone is used.
ARG BASE=python:3.12-slim
# ARG BASE=python:3.12-slim@sha256:<digest>   <- pin here (placeholder, see above)

FROM ${BASE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY auditor auditor
COPY rules rules
COPY fixtures fixtures
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM ${BASE}
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 azroute \
    && mkdir -p /work && chown azroute:azroute /work
# Sign-in (azure-identity's DefaultAzureCredential, which `collect` and `audit --subscription` use):
# - workload identity / service principal: pass AZURE_TENANT_ID, AZURE_CLIENT_ID and either
#   AZURE_FEDERATED_TOKEN_FILE (a mounted federated token: workload identity) or
#   AZURE_CLIENT_CERTIFICATE_PATH / AZURE_CLIENT_SECRET with `-e`;
# - managed identity: nothing to pass on an Azure VM or container host that has one;
# - a mounted ~/.azure (an `az login` or azure/login session) needs the Azure CLI in the image, which
#   this one does not have (it would triple its size): use the variables above in a container, or run
#   azroute on the runner itself (the GitHub Action) where azure/login signed in.
# Nothing is signed in to read a snapshot: `audit`, `diff`, `plan` need no credential.
USER azroute
ENV HOME=/home/azroute
# /work is writable by the image's user; when a host directory is mounted there, run with
# --user "$(id -u):$(id -g)" so that report files can be written into it.
WORKDIR /work
ENTRYPOINT ["azroute"]
CMD ["audit"]
