# A small image with azroute as its entry point:
#   docker build -t azroute .
#   docker run --rm -v "$PWD/snapshot:/work/snapshot" azroute audit snapshot --format sarif -o /work/out.sarif
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY auditor auditor
COPY rules rules
COPY fixtures fixtures
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 azroute
USER azroute
WORKDIR /work
ENTRYPOINT ["azroute"]
CMD ["audit"]
