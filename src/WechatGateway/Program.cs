using Scalar.AspNetCore;
using WechatGateway.Accounts;
using WechatGateway.Admin;
using WechatGateway.Operations;
using WechatGateway.Storage;
using WechatGateway.Webhook;

var builder = WebApplication.CreateBuilder(args);

builder.AddObservability();
builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddProblemDetails();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
builder.Services.AddOpenApi();
builder.Services.AddStorage();
builder.Services.AddGatewayHealthChecks();
builder.Services.AddWechatAccounts();
builder.Services.AddWebhook();
builder.Services.AddAdmin();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAdminBodyBuffering();
app.UseAuthentication();
app.UseAuthorization();

app.MapGatewayHealth();
app.MapMetrics();
app.MapOpenApi("/openapi/{documentName}.json");
app.MapScalarApiReference("/docs", o => o.WithOpenApiRoutePattern("/openapi/{documentName}.json"));
app.MapWechatWebhook();
app.MapAdminApi();

await app.RunAsync();

/// <summary>The entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
