FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY traceability ./traceability
COPY gateway ./gateway
COPY loadtests ./loadtests
RUN pip install --no-cache-dir .
ENV TRACE_DATA_DIR=/data
EXPOSE 8000
CMD ["traceability", "serve", "--host", "0.0.0.0", "--port", "8000"]
