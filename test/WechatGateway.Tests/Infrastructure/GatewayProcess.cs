using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>
/// The gateway as a real process (the built <c>WechatGateway.dll</c>, as a deployment runs it) on a free loopback port,
/// configured through environment variables on the test MySQL schema, Redis and simulator. Several of them are
/// several instances: nothing is shared but what production shares.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, string name, string baseUrl)
    {
        _process = process;
        Name = name;
        BaseUrl = baseUrl;
        Client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Name { get; }

    public string BaseUrl { get; }

    public HttpClient Client { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts an instance in <paramref name="roles"/> (<c>Web</c>, <c>Worker</c>) and waits for its /healthz.</summary>
    public static async Task<GatewayProcess> StartAsync(string name, string roles, IReadOnlyDictionary<string, string?> settings)
    {
        var dll = GatewayDll();
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        var environment = new Dictionary<string, string?>(TestAccounts.Settings)
        {
            ["ConnectionStrings:MySql"] = TestEnvironment.MySqlConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConnectionString,
            ["Wechat:ApiBaseUrl"] = TestEnvironment.Simulator.BaseUrl,
            ["Gateway:Roles"] = roles,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var instance = new GatewayProcess(Process.Start(start)!, name, $"http://127.0.0.1:{port}");
        instance._process.OutputDataReceived += (_, e) => instance.Log(e.Data);
        instance._process.ErrorDataReceived += (_, e) => instance.Log(e.Data);
        instance._process.BeginOutputReadLine();
        instance._process.BeginErrorReadLine();
        await instance.WaitHealthyAsync();
        return instance;
    }

    /// <summary>Kills the process at once, as a crash or an OOM kill would: no shutdown, no lease given back.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>What the process printed (warnings and errors), for a failure's message.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Log(string? line)
    {
        lock (_output)
        {
            // Bounded: a failing instance may log for every round.
            if (line is not null && _output.Length < 200_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task WaitHealthyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"gateway instance {Name} exited with code {_process.ExitCode} during start-up:\n{Output}");
            }

            try
            {
                using var response = await Client.GetAsync("/healthz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        Assert.Fail($"gateway instance {Name} did not answer /healthz within 60 s:\n{Output}");
    }

    /// <summary>The gateway built beside this test assembly, in the same configuration (Release in CI).</summary>
    private static string GatewayDll()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = directory.Name;
        var configuration = directory.Parent!.Name;
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "WechatGateway.sln")))
        {
            directory = directory.Parent;
        }

        var dll = Path.Combine(directory?.FullName ?? ".", "src", "WechatGateway", "bin", configuration, framework, "WechatGateway.dll");
        if (!File.Exists(dll))
        {
            Assert.Fail($"{dll} is missing: build the solution (dotnet build -c {configuration}) before running the tests.");
        }

        return dll;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
