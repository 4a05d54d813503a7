; Inno Setup 6 script: a per-user (or, if chosen, per-machine) installer for Aioke Desktop.
;
;   python packaging\icons.py build\icons
;   python -m PyInstaller --noconfirm --distpath dist packaging\aioke-desktop.spec
;   iscc /DAppVersion=<version> packaging\windows\aioke-desktop.iss
;
; The version comes from the package metadata (the workflow reads it with importlib.metadata),
; never from this file. Not built or tested in this repository's CI, which runs on Linux;
; .github/workflows/build.yml builds it on a Windows runner.

#ifndef AppVersion
  #error Pass the version from the package metadata: iscc /DAppVersion=X.Y.Z
#endif
#define Root "..\.."
#define Bundle Root + "\dist\aioke-desktop"

[Setup]
AppId={{D7CE39F4-872B-4076-AF4F-110127C5C71B}
AppName=Aioke
AppVersion={#AppVersion}
AppVerName=Aioke {#AppVersion}
AppPublisher=Aioke developers
DefaultDirName={autopf}\Aioke
DefaultGroupName=Aioke
DisableProgramGroupPage=yes
; Per-user by default (no administrator rights); the user may choose all users instead.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#Root}\dist
OutputBaseFilename=aioke-desktop-{#AppVersion}-windows-x64-setup
#if FileExists(Root + "\build\icons\aioke.ico")
SetupIconFile={#Root}\build\icons\aioke.ico
#endif
UninstallDisplayIcon={app}\aioke-desktop.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; A running app holds its DLLs open; ask to close it rather than fail half-way.
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole onedir bundle: the app, aioke-sandbox and aioke-cluster share _internal\.
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; Modules removed in a newer version must not linger and be imported by it.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\Aioke"; Filename: "{app}\aioke-desktop.exe"; AppUserModelID: "org.aioke.Desktop"; Comment: "Operations console for on-call engineers"
Name: "{autodesktop}\Aioke"; Filename: "{app}\aioke-desktop.exe"; AppUserModelID: "org.aioke.Desktop"; Tasks: desktopicon

[Run]
Filename: "{app}\aioke-desktop.exe"; Description: "{cm:LaunchProgram,Aioke}"; Flags: nowait postinstall skipifsilent
