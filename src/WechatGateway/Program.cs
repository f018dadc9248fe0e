using Scalar.AspNetCore;
using WechatGateway.Accounts;
using WechatGateway.Admin;
using WechatGateway.Campaigns;
using WechatGateway.Journeys;
using WechatGateway.Events;
using WechatGateway.Feedback;
using WechatGateway.Followers;
using WechatGateway.Groups;
using WechatGateway.MassSend;
using WechatGateway.Members;
using WechatGateway.MiniProgram;
using WechatGateway.Operations;
using WechatGateway.OpsConsole;
using WechatGateway.Orders;
using WechatGateway.Points;
using WechatGateway.Privacy;
using WechatGateway.Profile;
using WechatGateway.Processing;
using WechatGateway.Push;
using WechatGateway.Replies;
using WechatGateway.Segments;
using WechatGateway.Storage;
using WechatGateway.Webhook;

var builder = WebApplication.CreateBuilder(args);
var gateway = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();

builder.AddObservability();
builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddGatewayProxies(gateway);
builder.Services.AddHttpApiDefaults();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
builder.Services.AddGatewayOpenApi();
builder.Services.AddStorage();
builder.Services.AddGatewayHealthChecks();
builder.Services.AddWechatAccounts();
builder.Services.AddWechatApiClient();
builder.Services.AddMembers(gateway);
builder.Services.AddFollowers(gateway);
builder.Services.AddMassSend(gateway);
builder.Services.AddPoints(gateway);
builder.Services.AddGroups(gateway);
builder.Services.AddWebhook(gateway);
builder.Services.AddPushProcessing(gateway);
builder.Services.AddSendQueue(gateway);
builder.Services.AddReplies();
builder.Services.AddMiniProgram();
builder.Services.AddAdmin();
builder.Services.AddPrivacy(gateway);
builder.Services.AddFeedback(gateway);
builder.Services.AddEvents(gateway);
builder.Services.AddProfile(gateway);
builder.Services.AddSegments(gateway);
builder.Services.AddCampaigns(gateway);

var app = builder.Build();

app.UseGatewayProxies(gateway);
app.UseOperationsPort(gateway);
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAdminBodyBuffering();
app.UseMiniProgramLimits();
app.UseAuthentication();
app.UseAuthorization();

// Health and metrics in every role, so a worker-only instance can be probed and scraped too.
app.MapGatewayHealth();
app.MapMetrics();
if (gateway.RunsWeb)
{
    app.MapOpenApi("/openapi/{documentName}.json");
    // Scalar's own assets are embedded; its default web fonts would come from its CDN, so they are switched off, as are
    // its hosted extras (AI chat, MCP, the deploy/SDK/share toolbar, telemetry): the page documents this API, nothing else.
    app.MapScalarApiReference("/docs", o => o.WithOpenApiRoutePattern("/openapi/{documentName}.json").WithTitle("WechatGateway API")
        .DisableDefaultFonts().DisableAgent().DisableMcp().HideDeveloperTools().DisableTelemetry().WithFavicon("/admin/favicon.svg"));
    app.MapWechatWebhook();
    app.MapMiniProgram();
    app.MapPoints();
    app.MapGroupsMiniProgram();
    app.MapAdminApi().MapFollowers().MapMassSends().MapPointsAdmin().MapOrdersAdmin().MapGroups().MapLiveCodes().MapDashboard()
        .MapFunnel().MapAccountMenu().MapFeedbackAdmin().MapEventsAdmin().MapSegments().MapTags().MapCampaigns().MapJourneys();
    app.MapFeedbackMiniProgram();
    app.MapEventsMiniProgram();
    app.MapConsole();
}

await app.RunAsync();

/// <summary>The entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
