var app = Surplus.Server.ServerApp.Build(args);
app.Run();

/// <summary>The server's entry point, visible to in-process tests.</summary>
public partial class Program;
