# syntax=docker/dockerfile:1
# The gateway (default target) and the WeChat simulator (--target simulator, for staging), published in an SDK stage
# and run on the ASP.NET runtime image as its non-root user. Build from the repository root:
#   docker build -t wechatgateway .
#   docker build -t wechatgateway-simulator --target simulator .
# Configuration comes from the environment (ConnectionStrings__MySql, ConnectionStrings__Redis, Wechat__Accounts__0__…,
# Gateway__Roles=Web or Worker): see README.md and deploy/README.md.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source
# The project files first, so that the restore layer is reused until a dependency changes.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/WechatGateway/WechatGateway.csproj src/WechatGateway/
COPY src/WechatGateway.Wechat/WechatGateway.Wechat.csproj src/WechatGateway.Wechat/
COPY tools/WechatSimulator/WechatSimulator.csproj tools/WechatSimulator/
RUN dotnet restore src/WechatGateway/WechatGateway.csproj \
 && dotnet restore tools/WechatSimulator/WechatSimulator.csproj
COPY src/ src/
COPY tools/WechatSimulator/ tools/WechatSimulator/
RUN dotnet publish src/WechatGateway/WechatGateway.csproj -c Release --no-restore -o /app/gateway \
 && dotnet publish tools/WechatSimulator/WechatSimulator.csproj -c Release --no-restore -o /app/simulator

# The runtime image has no curl: the health check speaks HTTP/1.0 to /healthz over bash's /dev/tcp.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS simulator
WORKDIR /app
COPY --from=build /app/simulator ./
ENV ASPNETCORE_HTTP_PORTS=8080 DOTNET_gcServer=0
EXPOSE 8080
USER $APP_UID
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "WechatSimulator.dll"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS gateway
WORKDIR /app
COPY --from=build /app/gateway ./
# 8080: the webhook, the APIs, /healthz, /readyz and /metrics (every role serves the last three).
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
# The image's unprivileged "app" user (APP_UID 1654): nothing in the gateway needs root.
USER $APP_UID
# Liveness only: /readyz (MySQL, Redis) is for the load balancer, and an instance waiting for MySQL must not be
# restarted for it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "WechatGateway.dll"]
