# moto's server in a container: the S3 endpoint a stack's own containers
# use in tests (MLflow's artifact store on S3), where AWS is out of reach.
# Tests reach it through a port published on 127.0.0.1.
FROM python:3.11-slim
RUN pip install -q --no-cache-dir "moto[server]==5.1.22"
EXPOSE 5000
ENTRYPOINT ["moto_server", "-H", "0.0.0.0", "-p", "5000"]
