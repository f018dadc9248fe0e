using System.Text.Encodings.Web;
using System.Text.Json.Serialization;
using WechatSimulator.Accounts;
using WechatSimulator.Control;
using WechatSimulator.Faults;
using WechatSimulator.Mass;
using WechatSimulator.Media;
using WechatSimulator.Menus;
using WechatSimulator.Messages;
using WechatSimulator.MiniProgram;
using WechatSimulator.QrCodes;
using WechatSimulator.Tags;
using WechatSimulator.Tokens;
using WechatSimulator.Users;

namespace WechatSimulator;

/// <summary>
/// Builds the fake WeChat API. Tests start it in-process on a real port:
/// <c>var app = SimulatorApp.Build(["--urls", "http://127.0.0.1:0"]); await app.StartAsync();</c>
/// </summary>
public static class SimulatorApp
{
    public static WebApplication Build(string[] args) => Build(args, configureServices: null);

    /// <param name="args">Command-line arguments, e.g. <c>--urls</c> and <c>--Simulator:TokenLifetimeSeconds=60</c>.</param>
    /// <param name="configureServices">Last chance to replace services, e.g. the <see cref="TimeProvider"/>.</param>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(SimulatorApp).Assembly.GetName().Name,
        });

        // One line per request would drown the gateway's own logs in local runs and benchmarks.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.Services.AddOptions<SimulatorOptions>().BindConfiguration("Simulator");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SimulatorState>();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            // WeChat leaves absent optional fields out rather than sending null, and sends Chinese text unescaped.
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            json.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
            // Controls name enums by name ("serviceType": "Subscription").
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
        });
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();

        app.MapGet("/healthz", () => TypedResults.Text("ok"));
        app.MapTokens();
        app.MapMessages();
        app.MapInteractions();
        app.MapTemplates();
        app.MapUsers();
        app.MapFollowerList();
        app.MapTags();
        app.MapMass();
        app.MapMiniProgram();
        app.MapQrCodes();
        app.MapMedia();
        app.MapMenus();
        app.MapAccounts();
        app.MapFaults();
        app.MapControl();

        return app;
    }
}
