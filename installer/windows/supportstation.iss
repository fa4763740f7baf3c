; SupportStation's Windows installer (Inno Setup 6.3 or later).
;
; UNTESTED: written on Linux, never compiled nor run on Windows. Check every step on a Windows machine before
; distributing what it builds (see installer/README.md, "Windows and macOS (untested here)").
;
; Build the bundle first, on Windows, with the same spec as on Linux:
;     .venv\Scripts\pyinstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller installer\supportstation.spec
; then, from the repository's root:
;     "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 installer\windows\supportstation.iss
; which writes dist\SupportStation-0.1.0-windows-x64-setup.exe.
;
; User data is never touched: settings, database, procedures, logs and the file vault live in
; %LOCALAPPDATA%\SupportStation (platformdirs, see supportstation/paths.py), secrets in the Windows Credential
; Manager. The uninstaller removes only what this script installed into {app}, so uninstalling or upgrading keeps them.

#ifndef AppVersion
  ; No default: an installer must never claim a version it was not built from.
  #error Pass the version on the command line: ISCC /DAppVersion=X.Y.Z installer\windows\supportstation.iss
#endif

#define AppName "SupportStation"
#define BundleDir "..\..\dist\supportstation"
; The windowed program (no console window); supportstation.exe beside it is the command line.
#define GuiExe "supportstation-gui.exe"

[Setup]
; Fixed for ever: Windows recognises upgrades and the uninstaller by this id. Never change it.
AppId={{6408989A-F726-4C95-B7DA-23DF21B84F06}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#AppVersion}
; {autopf}: Program Files when installed for all users, %LOCALAPPDATA%\Programs when installed for the current user.
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user by default (no administrator rights needed on a locked-down laptop); the engineer or an administrator
; can choose all users in the dialog, or with /ALLUSERS on the command line.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
; The bundle is 64-bit only.
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName={#AppName} {#AppVersion}
; Closes a running SupportStation before replacing its files.
CloseApplications=yes
; No .ico exists in resources/icons yet; with one, uncomment (and the spec's EXE picks it up too):
; SetupIconFile=..\..\resources\icons\supportstation.ico

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "french"; MessagesFile: "compiler:Languages\French.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole bundle: a file the new version no longer has (an old plugin's *.dist-info) would
; otherwise stay and still be found. Only the program folder: user data is elsewhere.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#GuiExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] section, on purpose: %LOCALAPPDATA%\SupportStation (the engineer's tickets, reports,
; procedures, settings, user plugins, file vault and logs; nothing is written to %APPDATA%) and the Credential
; Manager's entries must survive an uninstall and a reinstall.
